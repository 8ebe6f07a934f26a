import { Migrator, sql } from 'kysely';
import { describeEachDialect, queryPlan, tableIndexes } from '../../testing/each-dialect';
import { CALLER_TIME_INDEX } from './0030-caller-time-index';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0030 (no index of calls by caller and time)', (database) => {
  it('drops 0002’s (caller_id, queued_at) and builds it again going down', async () => {
    const { db, dialect } = database();
    const latest = await tableIndexes(db, dialect, 'calls');
    expect(latest).not.toContain(CALLER_TIME_INDEX);
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0029-sqlite-sort-filing')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual([...latest, CALLER_TIME_INDEX].sort());
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
  });

  it('still reads a (caller, name) pair’s calls, newest first, on the caller index', async () => {
    const { db, dialect } = database();
    // The student filter's walk (`keysetRuns`): one pair's calls by queue time and id.
    const read = sql`select id, queued_at from calls where caller_id = ${'c'} and caller_name = ${'n'} order by queued_at desc, id desc limit 20`;
    const plan = await queryPlan(db, dialect, read);
    expect(plan).toContain('calls_caller_sort_idx');
    // In the index's order: no sort step.
    expect(plan).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
