import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0014 (quality warnings in the timeline)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';
  const insertEvent = (id: string, seq: number, type: string) =>
    sql`insert into call_events (id, call_id, seq, at, type, detail) values (${id}, 'call-w', ${seq}, ${at}, ${type}, 'packet loss')`.execute(database().db);

  it('takes quality_warning entries, and going back down removes them and refuses them again', async () => {
    const { db } = database();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-w', 'sam-w', 'Sam', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-w', 'connected', 'user-w', 'Sam', ${at})`.execute(db);
    await insertEvent('event-1', 1, 'queued');
    await insertEvent('event-2', 2, 'quality_warning');
    await expectAsync(insertEvent('event-3', 3, 'teleported')).toBeRejected();

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0013-call-rollups')).error).toBeUndefined();
    expect((await db.selectFrom('call_events').select('type').execute()).map((r) => r.type)).toEqual(['queued']);
    await expectAsync(insertEvent('event-3', 3, 'quality_warning')).toBeRejected();
    await insertEvent('event-3', 3, 'dialed'); // the kinds of earlier migrations stay
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await insertEvent('event-4', 4, 'quality_warning');
  });
});
