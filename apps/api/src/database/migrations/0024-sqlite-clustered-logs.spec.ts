import { randomUUID } from 'node:crypto';
import { Migrator, sql, type Kysely } from 'kysely';
import { describeEachDialect, queryPlan, tableIndexes } from '../../testing/each-dialect';
import type { Database } from '../schema';
import { AGENT_AT_INDEX, CALL_SEQ_INDEX } from './0024-sqlite-clustered-logs';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0024 (SQLite keeps the call timeline and the agents’ state changes in key order)', (database, dialectOfSuite) => {
  /** How SQLite stores `table` now: its definition (null on PostgreSQL). */
  const definition = async (db: Kysely<Database>, table: string) =>
    (await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db)).rows[0]?.sql ?? null;
  const plan = (db: Kysely<Database>, query: ReturnType<typeof sql>) => queryPlan(db, 'sqlite', query);

  /** A call with a timeline of `entries` and an agent with as many state changes; what was stored, in order. */
  async function addHistory(db: Kysely<Database>, entries: number) {
    const now = new Date().toISOString();
    const student = randomUUID();
    const agent = randomUUID();
    for (const [id, role] of [[student, 'student'], [agent, 'agent']] as const) {
      await db.insertInto('users').values({ id, username: `u-${id}`, display_name: 'Someone', role, password_hash: 'x', created_at: now }).execute();
    }
    const callId = randomUUID();
    await db
      .insertInto('calls')
      .values({ id: callId, state: 'ended', outcome: 'answered', caller_id: student, caller_name: 'Sam', queued_at: now, ended_at: now, direction: 'inbound', poor_quality: 0 } as never)
      .execute();
    for (let seq = 1; seq <= entries; seq++) {
      await db.insertInto('call_events').values({ id: randomUUID(), call_id: callId, seq, at: now, type: 'offered', actor_id: agent, actor_name: 'Alex', detail: null }).execute();
      const at = new Date(Date.parse(now) + seq).toISOString();
      await db.insertInto('agent_state_changes').values({ id: randomUUID(), agent_id: agent, at, from_state: 'available', to_state: 'ringing', reason: `offer ${seq}`, by_user_id: null }).execute();
    }
    return { callId, agent, stored: () => stored(db, callId, agent) };
  }

  async function stored(db: Kysely<Database>, callId: string, agent: string) {
    return {
      timeline: await db.selectFrom('call_events').selectAll().where('call_id', '=', callId).orderBy('seq').execute(),
      changes: await db.selectFrom('agent_state_changes').selectAll().where('agent_id', '=', agent).orderBy('at').execute(),
    };
  }

  it('rebuilds both tables without rowid on SQLite, keeps their rows, leaves PostgreSQL as it was, and goes back down', async () => {
    const { db, dialect } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0023-sqlite-ended-sort-indexes')).error).toBeUndefined();
    const history = await addHistory(db, 3);
    const before = await history.stored();
    const indexesBefore = { events: await tableIndexes(db, dialect, 'call_events'), changes: await tableIndexes(db, dialect, 'agent_state_changes') };
    expect(indexesBefore.events).toContain(CALL_SEQ_INDEX);
    expect(indexesBefore.changes).toContain(AGENT_AT_INDEX);

    // As 0024 left them (0026 adds an index to call_events).
    expect((await migrator.migrateTo('0024-sqlite-clustered-logs')).error).toBeUndefined();
    expect(await history.stored()).toEqual(before);
    if (dialect === 'sqlite') {
      expect(await definition(db, 'call_events')).toMatch(/primary key \(call_id, seq\)\s*\) without rowid$/);
      expect(await definition(db, 'call_events')).toMatch(/^\s*id text not null,$/m);
      expect(await definition(db, 'agent_state_changes')).toMatch(/"id" text not null, .*primary key \("agent_id", "at", "id"\)\) without rowid$/);
      // The table is its key's B-tree: no index is left beside it.
      expect(await tableIndexes(db, dialect, 'call_events')).toEqual([]);
      expect(await tableIndexes(db, dialect, 'agent_state_changes')).toEqual([]);
    } else {
      expect(await tableIndexes(db, dialect, 'call_events')).toEqual(indexesBefore.events);
      expect(await tableIndexes(db, dialect, 'agent_state_changes')).toEqual(indexesBefore.changes);
    }

    expect((await migrator.migrateTo('0023-sqlite-ended-sort-indexes')).error).toBeUndefined();
    expect(await history.stored()).toEqual(before);
    expect(await tableIndexes(db, dialect, 'call_events')).toEqual(indexesBefore.events);
    expect(await tableIndexes(db, dialect, 'agent_state_changes')).toEqual(indexesBefore.changes);
    if (dialect === 'sqlite') {
      expect(await definition(db, 'call_events')).not.toMatch(/without rowid/);
      expect(await definition(db, 'agent_state_changes')).toMatch(/^CREATE TABLE "agent_state_changes" \("id" text primary key, .*"by_user_id" text\)$/);
    }
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });

  it('still refuses a second entry with the same number, an unknown kind of entry, and drops a call’s timeline with the call', async () => {
    const { db } = database();
    const { callId, agent, stored: storedNow } = await addHistory(db, 2);
    const entry = { id: randomUUID(), call_id: callId, seq: 2, at: new Date().toISOString(), type: 'ended' as const, actor_id: null, actor_name: null, detail: null };
    await expectAsync(db.insertInto('call_events').values(entry).execute()).toBeRejected();
    await expectAsync(db.insertInto('call_events').values({ ...entry, seq: 3, type: 'no_such_kind' as never }).execute()).toBeRejected();
    await expectAsync(db.insertInto('call_events').values({ ...entry, seq: 3, call_id: randomUUID() }).execute()).withContext('a call that does not exist').toBeRejected();
    await db.deleteFrom('calls').where('id', '=', callId).execute();
    expect((await storedNow()).timeline).toEqual([]);
    expect((await stored(db, callId, agent)).changes.length).toBe(2);
  });

  if (dialectOfSuite === 'sqlite') {
    it('reads a timeline, its next number and an agent’s changes on the key, sorting nothing (SQLite)', async () => {
      const { db } = database();
      expect(await plan(db, sql`select at, type from call_events where call_id = ${'c'} order by seq`)).toBe('SEARCH call_events USING PRIMARY KEY (call_id=?)');
      // The ledger's next entry: the number after the call's last.
      expect(await plan(db, sql`select coalesce(max(seq), 0) + 1 from call_events where call_id = ${'c'}`)).toBe('SEARCH call_events USING PRIMARY KEY (call_id=?)');
      expect(await plan(db, sql`delete from call_events where call_id in (${'a'}, ${'b'})`)).toBe('SEARCH call_events USING PRIMARY KEY (call_id=?)');
      expect(await plan(db, sql`select to_state from agent_state_changes where agent_id = ${'a'} and at >= ${'2026-12-01'} order by at`)).toBe(
        'SEARCH agent_state_changes USING PRIMARY KEY (agent_id=? AND at>?)',
      );
    });
  }
});
