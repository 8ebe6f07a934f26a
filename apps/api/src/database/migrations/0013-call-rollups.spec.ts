import { Migrator, sql, type Kysely } from 'kysely';
import { rebuildRollups } from '../../calls/ledger/call-rollups';
import { seedMonth } from '../../supervisor/seeding/month-seeder';
import { describeEachDialect } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import type { Database } from '../schema';
import { StaticMigrationProvider } from './index';

/** Every roll-up row, in key order, sums as numbers (PostgreSQL reads bigint as text). */
async function rollups(db: Kysely<Database>): Promise<unknown[]> {
  const quarters = await db.selectFrom('call_rollups').selectAll().orderBy('bucket_start').orderBy('outcome').execute();
  const waits = await db.selectFrom('call_wait_rollups').selectAll().orderBy('day').orderBy('outcome').orderBy('wait_s').execute();
  const missed = await db.selectFrom('call_missed_rollups').selectAll().orderBy('bucket_start').orderBy('agent_id').execute();
  return [quarters.map((r) => ({ ...r, queue_ms: Number(r.queue_ms), handle_ms: Number(r.handle_ms) })), waits, missed];
}

describeEachDialect('migration 0013 (metrics roll-ups, retention)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';
  const insertDeadline = (id: string, kind: string) =>
    sql`insert into deadlines (id, kind, subject_id, due_at) values (${id}, ${kind}, 'calls', ${at})`.execute(database().db);

  it('backfills the roll-ups from the stored calls, allows the retention deadline, and goes back down', async () => {
    const { db } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0008-call-event-reconnections')).error).toBeUndefined();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam', 'Sam', 'student', 'x', ${at}), ('agent-1', 'alex', 'Alex', 'agent', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, agent_id, agent_name, queued_at, queue_ms, talk_ms, wrap_up_ms) values
      ('call-1', 'ended', 'answered', 'user-1', 'Sam', 'agent-1', 'Alex', '2026-12-03T09:14:59.999Z', 20001, 60000, 5000),
      ('call-2', 'ended', 'answered', 'user-1', 'Sam', 'agent-1', 'Alex', '2026-12-03T09:01:00.000Z', 20000, 30000, null),
      ('call-3', 'ended', 'short_abandon', 'user-1', 'Sam', null, null, '2026-12-03T09:15:00.000Z', 1500, null, null),
      ('call-4', 'connected', null, 'user-1', 'Sam', 'agent-1', 'Alex', '2026-12-03T09:20:00.000Z', 3000, null, null)`.execute(db);
    await sql`insert into call_events (id, call_id, seq, at, type, actor_id, actor_name) values ('event-1', 'call-1', 1, ${at}, 'missed', 'agent-1', 'Alex')`.execute(db);
    await insertDeadline('deadline-1', 'ring_timeout');
    await expectAsync(insertDeadline('deadline-2', 'retention')).toBeRejected();

    await migrateToLatest(db);
    const rollups = await db.selectFrom('call_rollups').selectAll().orderBy('bucket_start').execute();
    expect(rollups.map((r) => ({ ...r, queue_ms: Number(r.queue_ms), handle_ms: Number(r.handle_ms) }))).toEqual([
      { bucket_start: '2026-12-03T09:00:00.000Z', outcome: 'answered', calls: 2, queue_ms: 40001, handled: 2, handle_ms: 95000 },
      { bucket_start: '2026-12-03T09:15:00.000Z', outcome: 'short_abandon', calls: 1, queue_ms: 1500, handled: 0, handle_ms: 0 },
    ]);
    const waits = await db.selectFrom('call_wait_rollups').select(['outcome', 'wait_s', 'calls']).orderBy('outcome').orderBy('wait_s').execute();
    expect(waits).toEqual([
      { outcome: 'answered', wait_s: 20, calls: 1 },
      { outcome: 'answered', wait_s: 21, calls: 1 },
      { outcome: 'short_abandon', wait_s: 2, calls: 1 },
    ]);
    expect(await db.selectFrom('call_missed_rollups').selectAll().execute()).toEqual([{ bucket_start: '2026-12-03T09:00:00.000Z', agent_id: 'agent-1', agent_name: 'Alex', missed: 1 }]);
    await insertDeadline('deadline-2', 'retention');
    await expectAsync(insertDeadline('deadline-3', 'retention')).toBeRejected(); // (kind, subject) is still unique
    expect((await db.selectFrom('deadlines').select('id').orderBy('id').execute()).map((d) => d.id)).toEqual(['deadline-1', 'deadline-2']);

    expect((await migrator.migrateTo('0008-call-event-reconnections')).error).toBeUndefined();
    expect((await db.selectFrom('deadlines').select('id').execute()).map((d) => d.id)).toEqual(['deadline-1']);
    await expectAsync(sql`select * from call_rollups`.execute(db)).toBeRejected();
  });
});

// (A database of its own: the spec above leaves its calls and its migrations down.)
describeEachDialect('migration 0013’s backfill', (database) => {
  it('stores what rebuildRollups computes from the same calls (its own frozen copy of that SQL)', async () => {
    const { db } = database();
    const seeded = await seedMonth(db, { seed: 13, days: 14, callsPerDay: 120, end: new Date('2026-12-01T00:00:00.000Z'), dispositions: ['Resolved'] });
    // Calls no figure counts: one going on, and an agent's call back (outbound).
    const template = await db.selectFrom('calls').selectAll().where('outcome', '=', 'answered').executeTakeFirstOrThrow();
    await db.insertInto('calls').values({ ...template, id: 'call-going-on', state: 'connected', outcome: null, ended_at: null, talk_ms: null, wrap_up_ms: null }).execute();
    await db.insertInto('calls').values({ ...template, id: 'call-back', direction: 'outbound' }).execute();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0012-callbacks')).error).toBeUndefined();
    await migrateToLatest(db);
    const backfilled = await rollups(db);
    expect((backfilled[0] as unknown[]).length).toBeGreaterThan(100);

    await db.transaction().execute((trx) => rebuildRollups(trx, seeded.from, seeded.to));
    expect(await rollups(db)).toEqual(backfilled);
  });
});

