import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0008 (timeline entries for reconnections)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';
  const insertEvent = (id: string, seq: number, type: string) =>
    sql`insert into call_events (id, call_id, seq, at, type) values (${id}, 'call-1', ${seq}, ${at}, ${type})`.execute(database().db);

  it('keeps a database\'s timelines and their indexes, and takes ice_restarted and resumed entries', async () => {
    const { db } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0005-call-ledger')).error).toBeUndefined();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam', 'Sam', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-1', 'connected', 'user-1', 'Sam', ${at})`.execute(db);
    await insertEvent('event-1', 1, 'queued');
    await expectAsync(insertEvent('event-2', 2, 'ice_restarted')).toBeRejected();

    await migrateToLatest(db);
    await insertEvent('event-2', 2, 'ice_restarted');
    await insertEvent('event-3', 3, 'resumed');
    await expectAsync(insertEvent('event-4', 4, 'teleported')).toBeRejected();
    await expectAsync(insertEvent('event-5', 3, 'connected')).toBeRejected(); // (call_id, seq) is still unique
    const rows = await db.selectFrom('call_events').select(['id', 'type']).orderBy('seq').execute();
    expect(rows).toEqual([
      { id: 'event-1', type: 'queued' },
      { id: 'event-2', type: 'ice_restarted' },
      { id: 'event-3', type: 'resumed' },
    ]);
    // Deleting the call still deletes its timeline.
    await sql`delete from calls where id = 'call-1'`.execute(db);
    expect(await db.selectFrom('call_events').selectAll().execute()).toEqual([]);
  });
});
