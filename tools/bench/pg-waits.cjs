// What PostgreSQL's backends of a gateway bench are doing, sampled: every 20 ms it reads
// `pg_stat_activity` for the active client backends of the bench's throw-away databases (named
// `sb_test_<the bench's pid>_…`, as the test suites' are: give `--pid` so that a suite running
// beside it is not counted) and counts each backend's wait event ("CPU" when it waits on
// nothing) by the first words of its statement. Run it beside the bench, over its saturated
// phase:
//
//   node dist/portal-e2e/tools/bench/gateway.js --db postgres --rounds 1 ... &
//   sleep 60; node tools/bench/pg-waits.cjs --pid $! --seconds 30
//
// Prints the samples by wait event, then by wait event and statement, most first. Only
// backends running a statement are counted: one in a transaction waiting for the API's next
// statement is `idle in transaction` and left out. A backend waiting on `Lock:transactionid`
// waits for another transaction's row lock to go (its commit); `IO:WALSync` /
// `LWLock:WALWrite` is a commit waiting for the WAL to reach the disk.
const { parseArgs } = require('node:util');
const { join } = require('node:path');
const { Client } = require(join(process.cwd(), 'node_modules/pg'));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    every: { type: 'string', default: '20' },
    pid: { type: 'string' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const positive = (name) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${values[name]}`);
  return n;
};
const seconds = positive('seconds');
const everyMs = positive('every');
if (values.pid !== undefined && !/^\d+$/.test(values.pid)) throw new Error(`--pid must be a process id, not ${values.pid}`);
// `_` is LIKE's any-character: escaped.
const databases = values.pid === undefined ? 'sb\\_test\\_%' : `sb\\_test\\_${values.pid}\\_%`;

async function main() {
  const client = new Client({ connectionString: values.url });
  await client.connect();
  const byWait = new Map();
  const byWaitAndStatement = new Map();
  let samples = 0;
  let backends = 0;
  const until = Date.now() + seconds * 1000;
  try {
    while (Date.now() < until) {
      const { rows } = await client.query(
        `select coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait, left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as statement
           from pg_stat_activity where state = 'active' and backend_type = 'client backend' and datname like $1 and pid <> pg_backend_pid()`,
        [databases],
      );
      samples++;
      backends += rows.length;
      for (const { wait, statement } of rows) {
        byWait.set(wait, (byWait.get(wait) ?? 0) + 1);
        const key = `${wait} | ${statement}`;
        byWaitAndStatement.set(key, (byWaitAndStatement.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  } finally {
    await client.end();
  }
  const print = (counts, limit) => {
    for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit)) console.log(`${String(n).padStart(6)}  ${((100 * n) / Math.max(backends, 1)).toFixed(1).padStart(5)} %  ${key}`);
  };
  console.log(`${samples} samples, ${(backends / Math.max(samples, 1)).toFixed(2)} active backends on average`);
  console.log('by wait event:');
  print(byWait, 20);
  console.log('by wait event and statement:');
  print(byWaitAndStatement, 25);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
