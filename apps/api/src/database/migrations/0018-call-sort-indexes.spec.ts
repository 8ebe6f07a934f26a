import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

const SORT_INDEXES = ['queue_ms', 'talk_ms', 'agent_name', 'caller_name'].flatMap((c) => [`calls_${c}_sort_idx`, `calls_${c}_by_agent_sort_idx`]).concat('calls_outcome_by_agent_sort_idx');
const REPLACED = ['calls_outcome_queued_at_idx'];

describeEachDialect('migration 0018 (call sort indexes)', (database) => {
  it('indexes every history sort (led by the outcome, and by the agent after it), drops 0002’s outcome index, and goes back down', async () => {
    const { db, dialect } = database();
    // As the migrations after it up to 0021 left them (0022 makes these partial on PostgreSQL).
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    const latest = await tableIndexes(db, dialect, 'calls');
    expect(latest).toEqual(jasmine.arrayContaining(SORT_INDEXES));
    for (const name of REPLACED) expect(latest).not.toContain(name);
    expect(latest).toContain('calls_outcome_queued_at_id_idx');

    expect((await migrator.migrateTo('0017-call-media-holders')).error).toBeUndefined();
    const before = await tableIndexes(db, dialect, 'calls');
    expect(before).toEqual(jasmine.arrayContaining(REPLACED));
    for (const name of SORT_INDEXES) expect(before).not.toContain(name);

    // An index built ahead (on PostgreSQL without stopping writes) is taken as it is.
    const ahead = dialect === 'postgres' ? sql`create index concurrently calls_talk_ms_sort_idx on calls (outcome, talk_ms, queued_at, id)` : sql`create index calls_talk_ms_sort_idx on calls (outcome, talk_ms, queued_at, id)`;
    await ahead.execute(db);
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
});
