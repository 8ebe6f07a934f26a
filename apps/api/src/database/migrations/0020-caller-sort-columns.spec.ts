import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0020 (caller sort columns)', (database) => {
  it('replaces 0016’s caller index by one that also holds the sort columns, takes one built ahead, and goes back down', async () => {
    const { db, dialect } = database();
    const latest = await tableIndexes(db, dialect, 'calls');
    expect(latest).toContain('calls_caller_sort_idx');
    expect(latest).not.toContain('calls_caller_search_idx');

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0019-call-poor-quality')).error).toBeUndefined();
    const before = await tableIndexes(db, dialect, 'calls');
    expect(before).toContain('calls_caller_search_idx');
    expect(before).not.toContain('calls_caller_sort_idx');

    // An index built ahead (on PostgreSQL without stopping writes) is taken as it is.
    const columns = sql`(caller_id, caller_name, queued_at, id, agent_id, outcome, queue_ms, talk_ms, agent_name)`;
    await (dialect === 'postgres' ? sql`create index concurrently calls_caller_sort_idx on calls ${columns}` : sql`create index calls_caller_sort_idx on calls ${columns}`).execute(db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
  });
});
