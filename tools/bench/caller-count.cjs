// The incoming-call dialog's count of a caller's earlier calls (`earlierCallsOf` in
// apps/api/src/desk/desk-queries.service.ts), as it was (`id <> ?`: a look-up of every row of
// the caller's) and as it is (the call itself counted, one taken away: the index alone), on a
// seeded SQLite history, for its most frequent caller; interleaved 60 times, medians printed.
//
//   DATA_DIR=/tmp/seeded npm run seed:history -- --calls 1000000
//   node tools/bench/caller-count.cjs /tmp/seeded/switchboard.sqlite
const D = require(require('node:path').join(process.cwd(), 'node_modules/better-sqlite3'));
const db = new D(process.argv[2], { readonly: true });
const top = db.prepare('select caller_id, count(*) n from calls group by caller_id order by n desc limit 1').get();
const call = db.prepare('select id, queued_at from calls where caller_id = ? order by queued_at desc limit 1').get(top.caller_id);
const old = db.prepare('select count(*) as n from calls where caller_id = ? and id <> ? and queued_at <= ?');
const now = db.prepare('select count(*) as n from calls where caller_id = ? and queued_at <= ?');
console.log('caller with', top.n, 'calls; plans:', db.prepare('explain query plan select count(*) as n from calls where caller_id = ? and id <> ? and queued_at <= ?').all('a', 'b', 'c').map((r) => r.detail).join(' | '), '//', db.prepare('explain query plan select count(*) as n from calls where caller_id = ? and queued_at <= ?').all('a', 'c').map((r) => r.detail).join(' | '));
const a = [], b = [];
for (let i = 0; i < 60; i++) {
  let t = process.hrtime.bigint(); const x = old.get(top.caller_id, call.id, call.queued_at).n; a.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint(); const y = now.get(top.caller_id, call.queued_at).n - 1; b.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (x !== y) throw new Error(`counts differ: ${x} vs ${y}`);
}
const med = (v) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
console.log(`old (id <> ?) median ${med(a).toFixed(2)} ms, new (counted with the call) median ${med(b).toFixed(2)} ms, ratio ${(med(b) / med(a)).toFixed(2)}, same count ${old.get(top.caller_id, call.id, call.queued_at).n}`);
