import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0022 (row versions)', (database) => {
  it('raises a call’s and an agent’s version on every update, whoever makes it, on PostgreSQL only, and goes back down', async () => {
    const { db, dialect } = database();
    const at = '2026-12-05T12:00:00.000Z';
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values
      ('user-1', 'sam.okafor', 'Sam Okafor', 'student', 'x', ${at}), ('agent-1', 'alex.agent', 'Alex', 'agent', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-1', 'queued', 'user-1', 'Sam Okafor', ${at})`.execute(db);
    await sql`insert into agent_presence (agent_id, display_name, state, since, connected, idle_since) values ('agent-1', 'Alex', 'offline', ${at}, 0, ${at})`.execute(db);
    const versions = async () => ({
      call: (await sql<{ version: number }>`select version from calls where id = 'call-1'`.execute(db)).rows[0].version,
      agent: (await sql<{ version: number }>`select version from agent_presence where agent_id = 'agent-1'`.execute(db)).rows[0].version,
    });
    const columns = async (table: string) =>
      dialect === 'postgres'
        ? (await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = ${table}`.execute(db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)).rows.map((r) => r.name);
    if (dialect === 'sqlite') {
      // SQLite reads its rows in-process: nothing is kept between transactions, no column.
      expect(await columns('calls')).not.toContain('version');
      return;
    }
    expect(await versions()).toEqual({ call: 0, agent: 0 });
    await sql`update calls set caller_name = 'Sam O.' where id = 'call-1'`.execute(db);
    await sql`update calls set id = id where id = 'call-1'`.execute(db);
    await sql`update agent_presence set connected = 1 where agent_id = 'agent-1'`.execute(db);
    expect(await versions()).toEqual({ call: 2, agent: 1 });
    // An update that names the version itself still raises it from the stored one.
    await sql`update calls set version = 0 where id = 'call-1'`.execute(db);
    expect((await versions()).call).toBe(3);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    expect(await columns('calls')).not.toContain('version');
    expect(await columns('agent_presence')).not.toContain('version');
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await versions()).toEqual({ call: 0, agent: 0 });
  });
});
