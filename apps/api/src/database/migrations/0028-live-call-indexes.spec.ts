import { Migrator, sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

const AT = '2026-12-06T12:00:00.000Z';

describeEachDialect('migration 0028 (no index of a call’s state: calls in progress by their missing outcome)', (database, dialectOfSuite) => {
  beforeEach(async () => {
    const { db } = database();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values
      ('student-1', 'sam', 'Sam', 'student', 'x', ${AT}), ('agent-1', 'alex', 'Alex', 'agent', 'x', ${AT})`.execute(db);
  });

  afterEach(async () => {
    const { db } = database();
    for (const table of ['calls', 'call_rollups', 'users']) await sql`delete from ${sql.table(table)}`.execute(db);
  });

  it('keeps one call in progress per caller, however many ended ones, with no index of state; down and up again', async () => {
    const { db, dialect } = database();
    const latest = await tableIndexes(db, dialect, 'calls');
    expect(latest).toContain('calls_one_live_per_caller_idx');
    expect(latest).toContain('calls_queued_at_outcome_idx');
    for (const gone of ['calls_state_idx', 'calls_one_active_per_caller_idx', 'calls_queued_at_wait_idx']) expect(latest).not.toContain(gone);
    expect(await indexedColumns(db, dialectOfSuite)).not.toContain('state');

    await addCall(db, 'ended-1', 'ended', 'answered');
    await addCall(db, 'ended-2', 'ended', 'abandoned');
    await addCall(db, 'live-1', 'connected', null);
    const second = await addCall(db, 'live-2', 'queued', null).then(
      () => null,
      (err: unknown) => err,
    );
    expect(String((second as { code?: string })?.code ?? second)).toMatch(/23505|SQLITE_CONSTRAINT_UNIQUE/);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    // As 0028 left them (0029 adds one on SQLite).
    expect((await migrator.migrateTo('0028-live-call-indexes')).error).toBeUndefined();
    const at0028 = await tableIndexes(db, dialect, 'calls');
    expect((await migrator.migrateTo('0027-vocabulary-domains')).error).toBeUndefined();
    const before = await tableIndexes(db, dialect, 'calls');
    expect(before).toEqual([...at0028.filter((name) => name !== 'calls_one_live_per_caller_idx' && name !== 'calls_queued_at_outcome_idx'), 'calls_one_active_per_caller_idx', 'calls_queued_at_wait_idx', 'calls_state_idx'].sort());
    expect(await indexedColumns(db, dialectOfSuite)).toContain('state');
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
  });

  it('mends stored calls that break the rule: ended without an outcome gets failed (in the roll-ups, its caller can call again), in progress with one loses it', async () => {
    const { db } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0027-vocabulary-domains')).error).toBeUndefined();
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at, queue_ms, talk_ms, wrap_up_ms) values ('old-1', 'ended', 'student-1', 'Sam', ${AT}, 1000, 5000, 500)`.execute(db);
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values ('live-1', 'connected', 'answered', 'agent-1', 'Alex', ${AT})`.execute(db);
    await sql`insert into call_rollups (bucket_start, outcome, calls, queue_ms, handled, handle_ms) values (${AT}, 'failed', 2, 10, 1, 100)`.execute(db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect((await sql<{ id: string; outcome: string | null }>`select id, outcome from calls order by id`.execute(db)).rows).toEqual([
      { id: 'live-1', outcome: null },
      { id: 'old-1', outcome: 'failed' },
    ]);
    // In progress: its caller has a call now.
    await expectAsync(sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('live-2', 'queued', 'agent-1', 'Alex', ${AT})`.execute(db)).toBeRejected();
    const rollups = (await sql<Record<string, unknown>>`select calls, queue_ms, handled, handle_ms from call_rollups where bucket_start = ${AT} and outcome = 'failed'`.execute(db)).rows;
    expect(rollups.map((r) => Object.values(r).map(Number))).toEqual([[3, 1010, 2, 5600]]);
    await expectAsync(addCall(db, 'new-1', 'queued', null)).toBeResolved();
    if (dialectOfSuite === 'postgres') {
      // Checked against the stored calls too.
      expect((await sql<{ valid: boolean }>`select convalidated as valid from pg_constraint where conname = 'calls_outcome_when_ended'`.execute(db)).rows).toEqual([{ valid: true }]);
    }
  });

  if (dialectOfSuite === 'postgres') {
    it('refuses an ended call without an outcome and a call in progress with one (PostgreSQL), changing nothing', async () => {
      const { db } = database();
      await addCall(db, 'call-1', 'connected', null);
      for (const [state, outcome] of [
        ['ended', null],
        ['connected', 'answered'],
      ] as const) {
        const refused = await sql`update calls set state = ${state}, outcome = ${outcome} where id = 'call-1'`.execute(db).then(
          () => null,
          (err: { code?: string; constraint?: string }) => err,
        );
        expect(refused).withContext(`${state} with ${outcome}`).toEqual(jasmine.objectContaining({ code: '23514', constraint: 'calls_outcome_when_ended' }));
      }
      expect((await sql<{ state: string; outcome: string | null }>`select state, outcome from calls`.execute(db)).rows).toEqual([{ state: 'connected', outcome: null }]);
    });

    it('rings and connects a call as heap-only updates (no index entry), which wrote every index before (PostgreSQL)', async () => {
      const { db } = database();
      // A call's moves, as the ledger makes them; after each, how many of the transaction's
      // updates of `calls` so far were HOT.
      const hotAfterEachMove = async () => {
        await addCall(db, 'call-1', 'queued', null);
        return db.transaction().execute(async (trx) => {
          // The backend's counts not yet flushed to the statistics (earlier transactions' too).
          const pending = async () => Number((await sql<{ n: string | number }>`select pg_stat_get_xact_tuples_hot_updated('calls'::regclass) as n`.execute(trx)).rows[0].n);
          const start = await pending();
          const hot = async () => (await pending()) - start;
          const counts: number[] = [];
          await sql`update calls set state = 'ringing', ringing_agent_id = 'agent-1', rings_out_at = ${AT} where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          await sql`update calls set state = 'accepted', agent_id = 'agent-1', agent_name = 'Alex', answered_at = ${AT}, ringing_agent_id = null, queue_ms = 5 where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          await sql`update calls set state = 'connected', connected_at = ${AT} where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          await sql`update calls set negotiation_id = 'negotiation-2' where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          await sql`update calls set state = 'ended', outcome = 'answered', ended_at = ${AT}, talk_ms = 7 where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          await sql`update calls set disposition = 'Resolved', notes = '', wrap_up_ms = 3 where id = 'call-1'`.execute(trx);
          counts.push(await hot());
          return counts;
        });
      };
      // Ringing, connecting, a new negotiation and the wrap-up are HOT; answering (the agent and
      // the answer time are indexed) and ending (the outcome) are not.
      expect(await hotAfterEachMove()).toEqual([1, 1, 2, 3, 3, 4]);
      const { rows } = await sql<{ options: string[] | null }>`select reloptions as options from pg_class where relname = 'calls'`.execute(db);
      expect(rows[0].options).toEqual(['fillfactor=85']);

      await sql`delete from calls`.execute(db);
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      expect((await migrator.migrateTo('0027-vocabulary-domains')).error).toBeUndefined();
      // Before: only the moves that change no state (a new negotiation, the wrap-up).
      expect(await hotAfterEachMove()).toEqual([0, 0, 0, 1, 1, 2]);
      await sql`delete from calls`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    });
  }
});

async function addCall(db: Kysely<Database>, id: string, state: string, outcome: string | null): Promise<void> {
  await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values (${id}, ${state}, ${outcome}, 'student-1', 'Sam', ${AT})`.execute(db);
}

/** Every word of the definitions of the indexes of `calls` after the table's name: their columns, in key or predicate. */
async function indexedColumns(db: Kysely<Database>, dialect: string): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ d: string }>`select sql as d from sqlite_master where type = 'index' and tbl_name = 'calls' and sql is not null`.execute(db)
      : await sql<{ d: string }>`select indexdef as d from pg_indexes where tablename = 'calls'`.execute(db);
  return rows.flatMap((r) => r.d.replace(/^.*? on (public\.)?"?calls"?/i, '').toLowerCase().match(/\b[a-z_]+\b/g) ?? []);
}
