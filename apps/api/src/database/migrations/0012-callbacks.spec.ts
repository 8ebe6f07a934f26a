import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0012 (callbacks)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';
  const insertEvent = (id: string, seq: number, type: string) =>
    sql`insert into call_events (id, call_id, seq, at, type) values (${id}, 'call-1', ${seq}, ${at}, ${type})`.execute(database().db);

  it('makes every existing call inbound, takes outbound calls, dialed entries and callback events, and goes back down', async () => {
    const { db } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0008-call-event-reconnections')).error).toBeUndefined();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam', 'Sam', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-1', 'ended', 'user-1', 'Sam', ${at})`.execute(db);
    await sql`insert into callback_requests (id, call_id, student_id, name, note, created_at) values ('cb-1', 'call-1', 'user-1', 'Sam', null, ${at})`.execute(db);
    await insertEvent('event-1', 1, 'queued');
    await expectAsync(insertEvent('event-2', 2, 'dialed')).toBeRejected();

    await migrateToLatest(db);
    expect(await db.selectFrom('calls').select(['id', 'direction', 'callback_id']).execute()).toEqual([{ id: 'call-1', direction: 'inbound', callback_id: null }]);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at, direction, callback_id) values ('call-2', 'ringing', 'user-1', 'Sam', ${at}, 'outbound', 'cb-1')`.execute(db);
    await expectAsync(sql`insert into calls (id, state, caller_id, caller_name, queued_at, direction) values ('call-3', 'ended', 'user-1', 'Sam', ${at}, 'sideways')`.execute(db)).toBeRejected();
    await insertEvent('event-2', 2, 'dialed');
    await insertEvent('event-3', 3, 'resumed');
    await expectAsync(insertEvent('event-4', 4, 'teleported')).toBeRejected();
    await sql`insert into callback_events (id, callback_id, at, type, actor_id, actor_name, note, call_id) values ('e-1', 'cb-1', ${at}, 'attempt', null, 'Alex', 'voicemail', null)`.execute(db);
    await expectAsync(sql`insert into callback_events (id, callback_id, at, type) values ('e-2', 'cb-1', ${at}, 'requested')`.execute(db)).toBeRejected();

    expect((await migrator.migrateTo('0008-call-event-reconnections')).error).toBeUndefined();
    expect((await db.selectFrom('calls').select('id').execute()).map((r) => r.id)).toEqual(['call-1']);
    expect((await db.selectFrom('call_events').select('type').orderBy('seq').execute()).map((r) => r.type)).toEqual(['queued', 'resumed']);
  });
});
