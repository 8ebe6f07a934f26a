// Counts the pages a server's SQLite commits write to the WAL, by table or index (a commit
// appends every page it changed, whole, as one WAL frame: what a commit and the background
// checkpoint cost grows with these frames, not with the statements). Preload it into the
// server under the gateway benchmark:
//
//   BENCH_PRODUCT_NODE_FLAGS="-r ./tools/bench/wal-frames.cjs" WAL_TRACE_DIR=/tmp/wal-frames \
//     node dist/portal-e2e/tools/bench/gateway.js --db sqlite --rounds 1 --pairs 200 --setups 600
//
// After each statement of the app's connection that may have committed outside a transaction
// (a `commit`, or a write on its own) it reads the frames appended to the `-wal` file since the
// last read, up to the last commit frame (a rolled-back transaction's frames are not counted:
// the next one writes over them), and from the start again when a checkpoint has let the WAL
// start over, which SQLite does in the first commit after it (the new generation's frames
// carry the header's new salt). Every 10 s, and when the app closes the database, it writes
// WAL_TRACE_DIR/wal-<pid>.json: the frames, commits and restarts of the WAL so far, the
// committing statements' time (those that started the WAL over apart: they also sync its
// header), and the frames by b-tree, most first. The b-tree of a page is read from `dbstat` on
// a connection of its own at each write — a scan of the whole file on the server's thread
// (milliseconds on a bench's database; not for `--history`), and a page freed and reused since
// counts for its latest owner.
//
// Everything the server wrote is counted: the bench's warm-up (20 light setups and up to 300
// saturated ones before the rounds) and the sign-ins' sessions too. For a per-call figure,
// set the `sign_in_sessions` b-trees aside and divide by every call the server handled,
// warm-up included. Each place of the bench is a server of its own: a build compared with a
// `--baseline` is counted in a run of its own.
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
  /** The committing statements' time on the app's thread, those that started the WAL over apart. */
  const commitMs = {};
  /** What went wrong reading the WAL (the app's statement is never failed for it). */
  const errors = [];
  let offset = WAL_HEADER_BYTES;
  let salt = null;

  /** Reads the committed frames appended since the last call: how many. */
  function readNewFrames(db) {
    const fd = openSync(`${db.name}-wal`, 'r');
    try {
      const header = Buffer.alloc(WAL_HEADER_BYTES);
      if (readSync(fd, header, 0, WAL_HEADER_BYTES, 0) < WAL_HEADER_BYTES) return 0;
      const pageSize = header.readUInt32BE(8);
      const headerSalt = header.subarray(16, 24);
      if (!salt || !headerSalt.equals(salt)) {
        // A new generation: the WAL started over at its first frame.
        if (salt) restarts++;
        salt = Buffer.from(headerSalt);
        offset = WAL_HEADER_BYTES;
      }
      // Frame header: page number, the database's size in pages after a commit (0 in the
      // frames before a transaction's last), the two salts, two checksums.
      const frame = Buffer.alloc(FRAME_HEADER_BYTES);
      const pending = [];
      let read = 0;
      let at = offset;
      while (readSync(fd, frame, 0, FRAME_HEADER_BYTES, at) === FRAME_HEADER_BYTES && frame.subarray(8, 16).equals(salt)) {
        pending.push(frame.readUInt32BE(0));
        at += FRAME_HEADER_BYTES + pageSize;
        if (frame.readUInt32BE(4) === 0) continue;
        for (const page of pending) framesByPage.set(page, (framesByPage.get(page) || 0) + 1);
        read += pending.length;
        pending.length = 0;
        commits++;
        offset = at;
      }
      frames += read;
      return read;
    } finally {
      closeSync(fd);
    }
  }

  const probe = new SQLite(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('select 1'));
  probe.close();
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method];
    statement[method] = function (...args) {
      const started = process.hrtime.bigint();
      const result = original.apply(this, args);
      // A commit, or a write outside any transaction (which commits by itself; with `returning`
      // it is run with `all` or `get`). SQLite calls a transaction's `commit` read-only.
      if (app && this.database === app && !app.inTransaction && (!this.readonly || /^\s*(commit|end)\b/i.test(this.source))) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const before = restarts;
        try {
          if (readNewFrames(app) > 0) {
            const entry = (commitMs[restarts > before ? 'restarting the WAL' : 'appending'] ||= { statements: 0, ms: 0, over5ms: 0 });
            entry.statements++;
            entry.ms += ms;
            if (ms > 5) entry.over5ms++;
          }
        } catch (err) {
          if (errors.length < 10) errors.push(String(err && err.message));
        }
      }
      return result;
    };
  }

  function write() {
    if (!app || !app.open) return;
    const names = new Map();
    try {
      const reader = new SQLite(app.name, { readonly: true });
      try {
        for (const { name, pageno } of reader.prepare('select name, pageno from dbstat').iterate()) names.set(pageno, name);
      } finally {
        reader.close();
      }
    } catch (err) {
      if (errors.length < 10) errors.push(String(err && err.message));
    }
    const byName = new Map();
    for (const [page, n] of framesByPage) {
      const name = names.get(page) ?? '(free or new page)';
      byName.set(name, (byName.get(name) || 0) + n);
    }
    writeFileSync(out, JSON.stringify({ frames, commits, restarts, commitMs, errors, byName: [...byName].sort((a, b) => b[1] - a[1]) }, null, 1));
  }

  const close = SQLite.prototype.close;
  SQLite.prototype.close = function (...args) {
    if (this === app) write();
    return close.apply(this, args);
  };
  setInterval(write, 10_000).unref();
}
