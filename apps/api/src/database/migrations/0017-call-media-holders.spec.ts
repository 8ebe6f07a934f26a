import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0017 (call media holders)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';

  it('keeps one holder per side of a call, deleted with its call, and goes back down cleanly', async () => {
    const { db } = database();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-h', 'sam-h', 'Sam', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-h', 'connected', 'user-h', 'Sam', ${at})`.execute(db);
    const holder = { call_id: 'call-h', room: 'call:call-h:agent', socket_id: 'socket-1' };
    await db.insertInto('call_media_holders').values(holder).execute();
    await db.insertInto('call_media_holders').values({ ...holder, room: 'call:call-h:caller-tab' }).execute();
    await expectAsync(db.insertInto('call_media_holders').values({ ...holder, socket_id: 'socket-2' }).execute()).toBeRejected(); // one per side
    await expectAsync(db.insertInto('call_media_holders').values({ ...holder, call_id: 'no-such-call' }).execute()).toBeRejected();
    await sql`delete from calls where id = 'call-h'`.execute(db);
    expect(await db.selectFrom('call_media_holders').selectAll().execute()).toEqual([]);
    await sql`delete from users where id = 'user-h'`.execute(db);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0016-caller-search')).error).toBeUndefined();
    await expectAsync(sql`select 1 from call_media_holders`.execute(db)).toBeRejected();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
});
