import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0020 (caller sort columns)', (database, dialectOfSuite) => {
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

  // PostgreSQL alone: SQLite builds no index concurrently: an index built ahead is never invalid there.
  if (dialectOfSuite === 'postgres') {
    it('refuses an index of its name built ahead that is not this one or not usable (PostgreSQL), keeping 0016’s', async () => {
      const { db, dialect } = database();
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      const columns = sql`(caller_id, caller_name, queued_at, id, agent_id, outcome, queue_ms, talk_ms, agent_name)`;
      const ahead = {
        // Other columns under the name.
        'other columns': async () => sql`create index calls_caller_sort_idx on calls (caller_id)`.execute(db),
        // A concurrent build that failed leaves its index invalid (marked so here: it needs data that breaks it).
        invalid: async () => {
          await sql`create index concurrently calls_caller_sort_idx on calls ${columns}`.execute(db);
          await sql`update pg_index set indisvalid = false where indexrelid = 'calls_caller_sort_idx'::regclass`.execute(db);
        },
      };
      for (const [what, build] of Object.entries(ahead)) {
        expect((await migrator.migrateTo('0019-call-poor-quality')).error).withContext(what).toBeUndefined();
        await build();
        const { error } = await migrator.migrateToLatest();
        expect(error).withContext(what).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(/calls_caller_sort_idx is not the valid index/) }));
        expect(await tableIndexes(db, dialect, 'calls')).withContext(what).toContain('calls_caller_search_idx');
        await sql`drop index calls_caller_sort_idx`.execute(db);
      }
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    });
  }
});
