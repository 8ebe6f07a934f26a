// The missed-offer roll-up a call's end writes (`call-rollups.ts`), on SQLite, with the offer
// type as a parameter (before) and as a literal (now, the partial index's own words), timed on
// a seeded history's calls, interleaved four times (each shape first in two), in a transaction
// rolled back at the end:
//
//   DATA_DIR=/tmp/hist npm run seed:history -- --calls 20000
//   node tools/bench/missed-rollup.cjs /tmp/hist/switchboard.sqlite
//
// Prints each shape's plan as it runs (its values bound: SQLite proves the partial index from the
// parameter's, then prepares the statement again at each new binding) and microseconds per
// statement (20 000 runs over 2 000 calls, the median of the four rounds).
const { join } = require('node:path');
const SQLite = require(join(process.cwd(), 'node_modules/better-sqlite3'));

const file = process.argv[2];
if (!file) throw new Error('usage: node tools/bench/missed-rollup.cjs <switchboard.sqlite>');
const db = new SQLite(file);
const ids = db.prepare('select id from calls order by random() limit 2000').pluck().all();
if (ids.length === 0) throw new Error(`${file} holds no calls: seed it first`);

const write = (type) => `insert into call_missed_rollups (bucket_start, agent_id, agent_name, missed)
  select cast(? as text) as bucket_start, actor_id, coalesce(min(actor_name), actor_id) as agent_name, count(*) as missed
  from call_events where call_id in (?) and type = ${type} and actor_id is not null group by actor_id order by actor_id
  on conflict (bucket_start, agent_id) do update set missed = call_missed_rollups.missed + excluded.missed`;
const shapes = [
  { name: "type as a parameter", statement: db.prepare(write('?')), args: (id) => ['2026-01-01T00:00:00.000Z', id, 'missed'] },
  { name: "type as a literal  ", statement: db.prepare(write("'missed'")), args: (id) => ['2026-01-01T00:00:00.000Z', id] },
];
for (const { name, statement, args } of shapes) {
  const plan = db.prepare(`explain query plan ${statement.source}`).all(...args('x')).map((r) => r.detail);
  console.log(`${name}: ${plan.join(' · ')}`);
}

const RUNS = 20_000;
const times = shapes.map(() => []);
db.exec('begin');
try {
  for (let round = 0; round < 4; round++) {
    // Each shape first in every other round.
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const { statement, args } = shapes[i];
      const started = process.hrtime.bigint();
      for (let n = 0; n < RUNS; n++) statement.run(...args(ids[n % ids.length]));
      times[i].push(Number(process.hrtime.bigint() - started) / 1e3 / RUNS);
    }
  }
} finally {
  db.exec('rollback');
}
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
for (const [i, { name }] of shapes.entries()) console.log(`${name}: ${median(times[i]).toFixed(2)} µs per statement (rounds ${times[i].map((t) => t.toFixed(2)).join(' · ')})`);
console.log(`literal / parameter: ${(median(times[1]) / median(times[0])).toFixed(2)}`);
