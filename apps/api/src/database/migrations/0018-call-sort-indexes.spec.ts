import { Migrator, sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../../config/config';
import type { Database } from '../schema';
import { describeEachDialect } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

const SORT_INDEXES = ['calls_agent_name_by_agent_sort_idx', 'calls_agent_name_sort_idx', 'calls_caller_name_sort_idx', 'calls_outcome_sort_idx', 'calls_queue_ms_sort_idx', 'calls_talk_ms_sort_idx'];
const OUTCOME_INDEXES = ['calls_outcome_queued_at_id_idx', 'calls_outcome_queued_at_idx'];

/** The names of the indexes on `calls`, sorted. */
async function callIndexes(db: Kysely<Database>, dialect: SqlDialect): Promise<string[]> {
  const rows =
    dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'calls'`.execute(db)).rows
      : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'calls'`.execute(db)).rows;
  return rows.map((r) => r.name).sort();
}

describeEachDialect('migration 0018 (call sort indexes)', (database) => {
  it('indexes every history sort (led by the outcome), replaces the two outcome indexes, and goes back down', async () => {
    const { db, dialect } = database();
    const latest = await callIndexes(db, dialect);
    expect(latest).toEqual(jasmine.arrayContaining(SORT_INDEXES));
    for (const name of OUTCOME_INDEXES) expect(latest).not.toContain(name);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0017-call-media-holders')).error).toBeUndefined();
    const before = await callIndexes(db, dialect);
    expect(before).toEqual(jasmine.arrayContaining(OUTCOME_INDEXES));
    for (const name of SORT_INDEXES) expect(before).not.toContain(name);

    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await callIndexes(db, dialect)).toEqual(latest);
  });
});
