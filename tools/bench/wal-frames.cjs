// Counts the pages a server's SQLite commits write to the WAL, by table or index (a commit
// appends every page it changed, whole, as one WAL frame: what a commit and the background
// checkpoint cost grows with these frames, not with the statements). Preload it into the
// server under the gateway benchmark:
//
//   BENCH_PRODUCT_NODE_FLAGS="-r ./tools/bench/wal-frames.cjs" WAL_TRACE_DIR=/tmp/wal-frames \
//     node dist/portal-e2e/tools/bench/gateway.js --db sqlite --rounds 1 --pairs 200 --setups 600
//
// After every commit of the app's connection (a `commit`, or a write outside a transaction) it
// reads the frames that commit appended to the `-wal` file, from where the last read ended (back
// at the start when a checkpoint has let the WAL start over, which SQLite does in the first
// commit after it: a frame of the new generation carries the header's new salt). Every 2 s it
// writes WAL_TRACE_DIR/wal-<pid>.json: the frames, commits and restarts of the WAL so far, the
// commits' time (those that started the WAL over apart: they also sync its header) and the
// frames by b-tree (`dbstat`, read on a connection of its own), most first. Divide by the calls
// the server handled (the bench's completed calls plus its warm-up, and the sign-ins') for a
// per-setup figure.
const { closeSync, mkdirSync, openSync, readSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { isMainThread } = require('node:worker_threads');

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

if (isMainThread) {
  const SQLite = require(join(process.cwd(), 'node_modules/better-sqlite3'));
  const dir = process.env.WAL_TRACE_DIR || '/tmp/wal-frames';
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `wal-${process.pid}.json`);

  // The app's own connection: the first one put in WAL mode (database.ts does it right after opening).
  let app = null;
  const pragma = SQLite.prototype.pragma;
  SQLite.prototype.pragma = function (source, options) {
    if (!app && /^\s*journal_mode\s*=\s*wal/i.test(source)) app = this;
    return pragma.call(this, source, options);
  };

  const framesByPage = new Map();
  let frames = 0;
  let commits = 0;
  /** How many times the WAL started over (after a complete checkpoint; each costs the app's commit an fsync of the WAL's header). */
  let restarts = 0;
  /** The commits' time on the app's thread, those that started the WAL over apart. */
  const commitMs = {};
  let offset = WAL_HEADER_BYTES;
  let salt = null;

  /** Reads the frames appended since the last call: those whose salt is the WAL header's (older ones are a former generation's). */
  function readNewFrames(db) {
    const fd = openSync(`${db.name}-wal`, 'r');
    try {
      const header = Buffer.alloc(WAL_HEADER_BYTES);
      if (readSync(fd, header, 0, WAL_HEADER_BYTES, 0) < WAL_HEADER_BYTES) return;
      const pageSize = header.readUInt32BE(8);
      const headerSalt = header.subarray(16, 24);
      if (!salt || !headerSalt.equals(salt)) {
        // A new generation: the WAL started over at its first frame.
        if (salt) restarts++;
        salt = Buffer.from(headerSalt);
        offset = WAL_HEADER_BYTES;
      }
      const frame = Buffer.alloc(FRAME_HEADER_BYTES);
      while (readSync(fd, frame, 0, FRAME_HEADER_BYTES, offset) === FRAME_HEADER_BYTES && frame.subarray(8, 16).equals(salt)) {
        const page = frame.readUInt32BE(0);
        framesByPage.set(page, (framesByPage.get(page) || 0) + 1);
        frames++;
        offset += FRAME_HEADER_BYTES + pageSize;
      }
    } finally {
      closeSync(fd);
    }
  }

  const statement = Object.getPrototypeOf(new SQLite(':memory:').prepare('select 1'));
  const run = statement.run;
  statement.run = function (...args) {
    const started = process.hrtime.bigint();
    const result = run.apply(this, args);
    // A commit, or a write outside any transaction (which commits by itself).
    if (app && this.database === app && !app.inTransaction && !this.reader) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      commits++;
      const before = restarts;
      readNewFrames(app);
      const kind = restarts > before ? 'restarting the WAL' : 'appending';
      const entry = (commitMs[kind] ||= { commits: 0, ms: 0, over5ms: 0 });
      entry.commits++;
      entry.ms += ms;
      if (ms > 5) entry.over5ms++;
    }
    return result;
  };

  setInterval(() => {
    if (!app || !app.open) return;
    const names = new Map();
    const reader = new SQLite(app.name, { readonly: true });
    try {
      for (const { name, pageno } of reader.prepare('select name, pageno from dbstat').iterate()) names.set(pageno, name);
    } finally {
      reader.close();
    }
    const byName = new Map();
    for (const [page, n] of framesByPage) {
      const name = names.get(page) ?? '(free or new page)';
      byName.set(name, (byName.get(name) || 0) + n);
    }
    writeFileSync(out, JSON.stringify({ frames, commits, restarts, commitMs, byName: [...byName].sort((a, b) => b[1] - a[1]) }, null, 1));
  }, 2000).unref();
}
