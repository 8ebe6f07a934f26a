// The API process's own CPU per PostgreSQL statement through `withNamedStatements`
// (postgres-statements.ts) and Kysely, two builds interleaved, PostgreSQL's backends not
// counted: a figure the gateway bench cannot resolve (its rounds spread ±15 % and more, and a
// statement is ~1/70 of a call setup). Each unit is what the ledger's transactions look like:
// a select by key outside a transaction, then begin, two inserts whose results are unread
// (held and sent with the next statement), a select, an update, commit; 8 units in flight on
// a pipelining pool of 4. Run from the repository root after `npm run -s build:api && npm run
// -s build:specs` (alone on the machine, or under a lock shared with other benchmarks):
//
//   node tools/bench/pg-statements-cpu.cjs dist/api-base dist/api
//
// ROUNDS (default 10) pairs, UNITS (default 4000) units each; prints CPU (user, system) µs per
// statement and statements/s per run, then medians and the paired differences.
const { join, resolve } = require('node:path');
const root = process.cwd();
const { Kysely, PostgresDialect, CompiledQuery } = require(join(root, 'node_modules/kysely'));
const { Pool } = require(join(root, 'node_modules/pg'));
const { createTestPostgresDatabase } = require(join(root, 'dist/api-spec/apps/api/src/testing/postgres.js'));

const builds = process.argv.slice(2).map((dir) => resolve(root, dir));
if (builds.length === 0) throw new Error('usage: node tools/bench/pg-statements-cpu.cjs <build dir>... (e.g. dist/api-base dist/api)');
const UNITS = Number(process.env.UNITS ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const WORKERS = 8;
const STATEMENTS_PER_UNIT = 7;

async function measure(dir, url) {
  const { withNamedStatements, RESULT_UNREAD } = require(join(dir, 'apps/api/src/database/postgres-statements.js'));
  // A log hook as the app has one (Kysely times each statement for it).
  const db = new Kysely({ dialect: new PostgresDialect({ pool: withNamedStatements(new Pool({ connectionString: url, max: 4, pipeline: true })) }), log: () => undefined });
  let id = 0;
  const unit = async () => {
    const n = ++id;
    await db.executeQuery(CompiledQuery.raw('select id, body, call_id from notes where id = $1', [n]));
    await db.transaction().execute(async (trx) => {
      await trx.executeQuery(CompiledQuery.raw(`${RESULT_UNREAD}insert into notes (call_id, body) values ($1, $2)`, [n % 100, `x${n}`]));
      await trx.executeQuery(CompiledQuery.raw(`${RESULT_UNREAD}insert into notes (call_id, body) values ($1, $2)`, [n % 100, `y${n}`]));
      await trx.executeQuery(CompiledQuery.raw('select count(*) as c from notes where call_id = $1', [n % 100]));
      await trx.executeQuery(CompiledQuery.raw('update notes set body = $1 where id = $2', ['z', n]));
    });
  };
  const run = async (count) => {
    let left = count;
    await Promise.all(Array.from({ length: WORKERS }, async () => { while (left-- > 0) await unit(); }));
  };
  await run(1500); // warm-up: JIT, pool connections, statements prepared
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(UNITS);
  const used = process.cpuUsage(cpu);
  const ms = performance.now() - started;
  await db.destroy();
  const statements = UNITS * STATEMENTS_PER_UNIT;
  return { cpuUs: (used.user + used.system) / statements, userUs: used.user / statements, systemUs: used.system / statements, statementsPerSecond: (statements / ms) * 1000 };
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

(async () => {
  const pg = await createTestPostgresDatabase();
  const admin = new Pool({ connectionString: pg.url, max: 1 });
  try {
    await admin.query('create table notes (id serial primary key, call_id integer not null, body text not null)');
    await admin.query('create index on notes (call_id)');
    const runs = builds.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternated order: neither build always runs first in a round.
      const order = round % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
      for (const b of order) {
        await admin.query('truncate notes restart identity');
        const figures = await measure(builds[b], pg.url);
        runs[b].push(figures);
        console.log(`round ${round + 1} ${builds[b]}: ${figures.cpuUs.toFixed(1)} µs CPU per statement (user ${figures.userUs.toFixed(1)}, system ${figures.systemUs.toFixed(1)}), ${figures.statementsPerSecond.toFixed(0)} statements/s`);
      }
    }
    for (const key of ['cpuUs', 'userUs', 'systemUs', 'statementsPerSecond']) {
      const medians = runs.map((r) => median(r.map((f) => f[key])).toFixed(1)).join(' vs ');
      const paired = runs.length === 2 ? `; paired differences ${runs[1].map((f, i) => (f[key] - runs[0][i][key]).toFixed(1)).join(' ')}` : '';
      console.log(`${key} median: ${medians}${paired}`);
    }
  } finally {
    await admin.end();
    await pg.drop();
  }
})();
