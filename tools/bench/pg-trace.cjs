// Counts every PostgreSQL query a server sends, by SQL text (the PostgreSQL counterpart of
// `sql-trace.cjs`). Preload it into the server under the gateway benchmark:
//
//   BENCH_SERVER_NODE_FLAGS="-r ./tools/bench/pg-trace.cjs" SQL_TRACE_DIR=/tmp/pg-trace \
//     node dist/portal-e2e/tools/bench/gateway.js --db postgres --rounds 1 --pairs 50
//
// Every 2 s the server writes SQL_TRACE_DIR/pg-<pid>.json: [sql, count] pairs, commonest first,
// after a ["writes", n] entry: the socket writes to PostgreSQL (pipelined statements gathered
// together leave in one); and SQL_TRACE_DIR/pg-<pid>-transactions.json: each kind of
// transaction (its statements' first words, in order) and how many ran. Divide by the calls
// the server handled for a per-setup figure.
//
// With SQL_TRACE_SNAPSHOTS=1 every write is also kept as pg-<pid>.<n>.json; then
//
//   node tools/bench/pg-trace.cjs /tmp/pg-trace/pg-<pid>.<a>.json /tmp/pg-trace/pg-<pid>.<b>.json
//
// prints what the server sent between the two, per call placed (two snapshots taken during
// the saturated phase: the sign-ins and socket connections of the warm-up left out).
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

if (require.main === module) {
  const [a, b] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const before = new Map(a.slice(2));
  const placed = (m) => [...m].filter(([k]) => k.startsWith('insert into "calls"')).reduce((n, [, v]) => n + v, 0);
  const after = new Map(b.slice(2));
  const calls = placed(after) - placed(before);
  if (calls <= 0) throw new Error('no call placed between the two snapshots');
  const rows = [...after].map(([k, v]) => [(v - (before.get(k) || 0)) / calls, k]).filter(([n]) => n > 0).sort((x, y) => y[0] - x[0]);
  console.log(`${calls} calls placed in ${((b[1][1] - a[1][1]) / 1000).toFixed(1)} s`);
  console.log(`per call: ${rows.reduce((n, [v]) => n + v, 0).toFixed(1)} statements, ${((b[0][1] - a[0][1]) / calls).toFixed(1)} socket writes`);
  for (const [n, k] of rows) if (n >= 0.05) console.log(n.toFixed(2).padStart(6), k.slice(0, 150));
  return;
}

const pg = require(join(process.cwd(), 'node_modules/pg'));
const dir = process.env.SQL_TRACE_DIR || '/tmp/pg-trace';
mkdirSync(dir, { recursive: true });
const bySql = new Map();
const transactions = new Map();
const open = new WeakMap();
let writes = 0;
/** A statement's short name: its verb and first table. */
const shortName = (sql) => {
  const m = /^\s*(?:with \w+ as \(\s*)?(?:(update)|(insert)\s+into|(select|delete)\b.*?\bfrom)\s+"?(\w+)"?/is.exec(sql);
  return m ? `${(m[1] || m[2] || m[3]).toLowerCase()} ${m[4]}` : sql.trim().split(/\s+/)[0].toLowerCase();
};
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const text = (typeof config === 'string' ? config : config && config.text) || '?';
  const key = text.replace(/\s+/g, ' ').slice(0, 220);
  bySql.set(key, (bySql.get(key) || 0) + 1);
  if (/^\s*begin\b/i.test(text)) open.set(this, []);
  else if (/^\s*(commit|rollback)\b/i.test(text)) {
    const statements = open.get(this);
    if (statements) {
      const shape = `${statements.join(' | ')} | ${text.trim().toLowerCase()}`;
      transactions.set(shape, (transactions.get(shape) || 0) + 1);
      open.delete(this);
    }
  } else open.get(this)?.push(shortName(text));
  const stream = this.connection && this.connection.stream;
  if (stream && !stream.__traced) {
    stream.__traced = true;
    // A cork with nothing written under it sends nothing: the API gathers a statement's
    // messages and writes them once, after pg's own cork and uncork.
    let underCork = false;
    const write = stream.write;
    stream.write = function (...args) {
      if (!this.writableCorked) writes++;
      else underCork = true;
      return write.apply(this, args);
    };
    const uncork = stream.uncork;
    stream.uncork = function (...args) {
      if (this.writableCorked === 1 && underCork) writes++;
      if (this.writableCorked === 1) underCork = false;
      return uncork.apply(this, args);
    };
  }
  return query.call(this, config, ...rest);
};
const file = join(dir, `pg-${process.pid}.json`);
// With SQL_TRACE_SNAPSHOTS set, every write is also kept as pg-<pid>.<n>.json: the difference
// of two taken during the saturated phase is that phase's statements, without the sign-ins'.
let snapshot = 0;
setInterval(() => {
  if (process.env.SQL_TRACE_SNAPSHOTS) writeFileSync(file.replace(/\.json$/, `.${snapshot++}.json`), JSON.stringify([['writes', writes], ['at', Date.now()], ...bySql], null, 1));
  writeFileSync(file, JSON.stringify([['writes', writes], ...[...bySql].sort((a, b) => b[1] - a[1])], null, 1));
  writeFileSync(file.replace(/\.json$/, '-transactions.json'), JSON.stringify([...transactions].sort((a, b) => b[1] - a[1]), null, 1));
}, 2000).unref();
