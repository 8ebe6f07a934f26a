// Counts and times every SQLite statement a server runs, by SQL text, and how long its commits
// take. Preload it into the server under the gateway benchmark:
//
//   BENCH_SERVER_NODE_FLAGS="-r ./tools/bench/sql-trace.cjs" SQL_TRACE_DIR=/tmp/sql-trace \
//     node dist/portal-e2e/tools/bench/gateway.js --db sqlite --rounds 1 --pairs 50
//
// Every 2 s each thread writes SQL_TRACE_DIR/sql-<pid>-<thread>.json: [sql, [count, ms,
// writes that changed no row, reads that returned none]] pairs,
// costliest first, after a ["commit ms histogram", {...}] entry. Divide by the calls the
// server handled (the bench's completed calls plus its warm-up) for a per-setup figure.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { threadId } = require('node:worker_threads');

const SQLite = require(join(process.cwd(), 'node_modules/better-sqlite3'));
const probe = new SQLite(':memory:');
const statement = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();

const dir = process.env.SQL_TRACE_DIR || '/tmp/sql-trace';
mkdirSync(dir, { recursive: true });
const bySql = new Map();
const commits = {};
const bucket = (ms) => (ms < 0.1 ? '<0.1' : ms < 1 ? '<1' : ms < 10 ? '<10' : '>=10');
for (const method of ['run', 'all', 'get', 'iterate']) {
  const original = statement[method];
  statement[method] = function (...args) {
    const started = process.hrtime.bigint();
    let result;
    try {
      return (result = original.apply(this, args));
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const text = this.source.replace(/\s+/g, ' ').slice(0, 200);
      const entry = bySql.get(text) || [0, 0];
      entry[0]++;
      entry[1] += ms;
      // Writes that changed no row, reads that found none: statements the code might not need.
      if (method === 'run' && result && result.changes === 0) entry[2] = (entry[2] || 0) + 1;
      if (method === 'all' && Array.isArray(result) && result.length === 0) entry[3] = (entry[3] || 0) + 1;
      bySql.set(text, entry);
      if (text === 'commit') {
        const b = (commits[bucket(ms)] ||= [0, 0]);
        b[0]++;
        b[1] += ms;
      }
    }
  };
}
const file = join(dir, `sql-${process.pid}-${threadId}.json`);
setInterval(() => writeFileSync(file, JSON.stringify([['commit ms histogram', commits], ...[...bySql].sort((a, b) => b[1][1] - a[1][1])], null, 1)), 2000).unref();
