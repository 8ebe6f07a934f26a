// PostgreSQL's own CPU for an approximation of the writes of a call's life — placed, rung,
// accepted, connected, ended, wrapped up: the call's row, its timeline, the agent's presence and
// state changes, a deadline, one transaction per move, as plain named prepared statements (the
// app folds some of them into one statement and also writes outbox rows and roll-ups) — on two
// schemas in one run, interleaved: migrated up to FROM (default 0026-missed-offer-index) and up
// to the latest migration. A figure the gateway bench cannot resolve (its rounds spread ±15 %
// and more on a shared machine): the backend's CPU is read from /proc/<its pid>/stat, so the
// PostgreSQL server must run on this machine, in this PID namespace (as the test server does).
// Run from the repository root after `npm run -s build:api && npm run -s build:specs`:
//
//   node tools/bench/pg-call-writes.cjs
//
// ROUNDS (default 6) pairs of CALLS (default 3000) calls each; prints µs of backend CPU per call
// for each schema per round, then the medians and their ratio.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const root = process.cwd();
const { Client, Pool } = require(join(root, 'node_modules/pg'));
const { Kysely, Migrator, PostgresDialect } = require(join(root, 'node_modules/kysely'));
const { createTestPostgresDatabase } = require(join(root, 'dist/api-spec/apps/api/src/testing/postgres.js'));
const { StaticMigrationProvider } = require(join(root, 'dist/api-spec/apps/api/src/database/migrations/index.js'));

const FROM = process.env.FROM ?? '0026-missed-offer-index';
const CALLS = Number(process.env.CALLS ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
/** /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ). */
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** A call's writes, move by move (one transaction each), as the ledger's transactions make them, approximately. */
const MOVES = [
  [
    `insert into calls (id, state, caller_id, caller_name, queued_at, direction) values ($1, 'queued', 'student', 'Sam', $2, 'inbound')`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':1', $1, 1, $2, 'queued')`,
    `insert into deadlines (id, kind, subject_id, due_at) values ($1, 'max_wait', $1, $2)`,
  ],
  [
    `update calls set state = 'ringing', ringing_agent_id = 'agent', rings_out_at = $2 where id = $1 and state = 'queued'`,
    `update agent_presence set state = 'ringing', call_id = $1, since = $2 where agent_id = 'agent' and state = 'available'`,
    `insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ($1 || ':r', 'agent', $2, 'available', 'ringing', 'offered')`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':2', $1, 2, $2, 'offered')`,
  ],
  [
    `update calls set state = 'accepted', agent_id = 'agent', agent_name = 'Alex', answered_at = $2, ringing_agent_id = null, queue_ms = 5 where id = $1 and state = 'ringing'`,
    `update agent_presence set state = 'on_call', since = $2 where agent_id = 'agent' and state = 'ringing' and call_id = $1`,
    `insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ($1 || ':a', 'agent', $2, 'ringing', 'on_call', 'accepted')`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':3', $1, 3, $2, 'accepted')`,
    `delete from deadlines where subject_id = $1 and kind in ('max_wait', 'ring_timeout') and due_at <= $2`,
  ],
  [
    `update calls set state = 'connected', connected_at = $2 where id = $1 and state = 'accepted'`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':4', $1, 4, $2, 'connected')`,
  ],
  [
    `update calls set state = 'ended', outcome = 'answered', ended_at = $2, ended_by = 'agent', end_reason = 'hung_up', talk_ms = 7 where id = $1 and state = 'connected'`,
    `update agent_presence set state = 'wrap_up', wrap_up_ends_at = $2, since = $2 where agent_id = 'agent' and call_id = $1`,
    `insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ($1 || ':w', 'agent', $2, 'on_call', 'wrap_up', 'call ended')`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':5', $1, 5, $2, 'ended')`,
  ],
  [
    `update calls set disposition = 'Resolved', notes = '', wrap_up_ms = 3 where id = $1 and disposition is null and $2::text is not null`,
    `update agent_presence set state = 'available', call_id = null, wrap_up_ends_at = null, since = $2 where agent_id = 'agent' and call_id = $1`,
    `insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ($1 || ':v', 'agent', $2, 'wrap_up', 'available', 'wrap-up saved')`,
    `insert into call_events (id, call_id, seq, at, type) values ($1 || ':6', $1, 6, $2, 'wrap_up_saved')`,
  ],
];

/** A database migrated up to `target` (or the latest), with a student and an available agent. */
async function schema(target) {
  const pg = await createTestPostgresDatabase();
  const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: pg.url, max: 1 }) }) });
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  await db.destroy();
  if (error) throw error;
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  const at = new Date().toISOString();
  await client.query(`insert into users (id, username, display_name, role, password_hash, created_at) values ('student', 'sam', 'Sam', 'student', 'x', $1), ('agent', 'alex', 'Alex', 'agent', 'x', $1)`, [at]);
  await client.query(`insert into agent_presence (agent_id, display_name, state, since, connected, idle_since) values ('agent', 'Alex', 'available', $1, 1, $1)`, [at]);
  // No wait for the disk at each commit: the CPU is what is measured.
  await client.query('set synchronous_commit = off');
  const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid;
  return { label: target ?? 'latest', pg, client, pid, made: 0 };
}

function backendCpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function calls(target, count) {
  for (let i = 0; i < count; i++) {
    const id = `${target.label}-${target.made++}`;
    const at = new Date().toISOString();
    for (const move of MOVES) {
      await target.client.query('begin');
      for (const [n, text] of move.entries()) await target.client.query({ name: `s${MOVES.indexOf(move)}.${n}`, text, values: [id, at] });
      await target.client.query('commit');
    }
  }
}

const median = (values) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

(async () => {
  const targets = [await schema(FROM), await schema(null)];
  try {
    for (const target of targets) await calls(target, 500); // warm-up: plans, caches
    const figures = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [1, 0] : [0, 1];
      for (const t of order) {
        const before = backendCpuUs(targets[t].pid);
        await calls(targets[t], CALLS);
        figures[t].push((backendCpuUs(targets[t].pid) - before) / CALLS);
        console.log(`round ${round + 1} ${targets[t].label}: ${figures[t].at(-1).toFixed(0)} µs of backend CPU per call`);
      }
    }
    const [a, b] = figures.map(median);
    console.log(`median: ${targets[0].label} ${a.toFixed(0)} µs, ${targets[1].label} ${b.toFixed(0)} µs per call (${(b / a).toFixed(2)}×)`);
  } finally {
    for (const target of targets) {
      await target.client.end();
      await target.pg.drop();
    }
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
