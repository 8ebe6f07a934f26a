import { Migrator, sql } from 'kysely';
import { describeEachDialect, queryPlan, tableIndexes } from '../../testing/each-dialect';
import { ENDED_SORT_INDEXES, SET_ONLY } from './0022-fewer-call-index-writes';
import { StaticMigrationProvider } from './index';

const WHOLE = ENDED_SORT_INDEXES.map(([name]) => name.replace(/_ended_sort_idx$/, '_sort_idx'));
const ENDED = ENDED_SORT_INDEXES.map(([name]) => name);
const PREFIXES = ['calls_queued_at_idx', 'calls_agent_queued_at_idx'];

describeEachDialect('migration 0022 (fewer index entries written per call)', (database, dialectOfSuite) => {
  it('makes 0018’s sort indexes partial on ended calls on PostgreSQL, drops 0002’s prefix indexes, takes ones built ahead, and goes back down', async () => {
    const { db, dialect } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    // As 0022 left them (0023 makes 0018's partial on SQLite too).
    expect((await migrator.migrateTo('0022-fewer-call-index-writes')).error).toBeUndefined();
    const latest = await tableIndexes(db, dialect, 'calls');
    for (const name of PREFIXES) expect(latest).not.toContain(name);
    // What they were prefixes of stays.
    expect(latest).toEqual(jasmine.arrayContaining(['calls_queued_at_id_idx', 'calls_agent_queued_at_id_idx', 'calls_outcome_queued_at_id_idx']));
    if (dialect === 'postgres') {
      expect(latest).toEqual(jasmine.arrayContaining(ENDED));
      for (const name of WHOLE) expect(latest).not.toContain(name);
      const { rows } = await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes where indexname like 'calls_%_ended_sort_idx'`.execute(db);
      expect(rows.length).toBe(ENDED.length);
      for (const { name, definition } of rows) expect(definition).withContext(name).toMatch(/ WHERE \(outcome IS NOT NULL\)$/);
    } else {
      expect(latest).toEqual(jasmine.arrayContaining(WHOLE));
      for (const name of ENDED) expect(latest).not.toContain(name);
    }

    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    const before = await tableIndexes(db, dialect, 'calls');
    expect(before).toEqual(jasmine.arrayContaining([...PREFIXES, ...WHOLE]));
    for (const name of ENDED) expect(before).not.toContain(name);

    // Built ahead without stopping writes, as the migration's comment says: taken as it is.
    if (dialect === 'postgres') await sql`create index concurrently calls_talk_ms_ended_sort_idx on calls (outcome, talk_ms, queued_at, id) where outcome is not null`.execute(db);
    expect((await migrator.migrateTo('0022-fewer-call-index-writes')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });

  if (dialectOfSuite === 'postgres') {
    it('refuses an index of one of its names built ahead that is not that one (PostgreSQL), changing nothing', async () => {
      const { db, dialect } = database();
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
      const before = await tableIndexes(db, dialect, 'calls');
      // The right columns, but every call in it (not only the ended ones).
      await sql`create index calls_talk_ms_ended_sort_idx on calls (outcome, talk_ms, queued_at, id)`.execute(db);
      const { error } = await migrator.migrateToLatest();
      expect(error).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(/calls_talk_ms_ended_sort_idx is not the valid index/) }));
      // The migration's transaction rolled back: 0018's indexes and 0002's are all still there.
      expect(await tableIndexes(db, dialect, 'calls')).toEqual([...before, 'calls_talk_ms_ended_sort_idx'].sort());
      await sql`drop index calls_talk_ms_ended_sort_idx`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    });
  }

  it('indexes answered_at and callback_id only where they are set, and the reads of them still walk those indexes', async () => {
    const { db, dialect } = database();
    const definition = async (name: string) =>
      dialect === 'sqlite'
        ? (await sql<{ d: string }>`select sql as d from sqlite_master where type = 'index' and name = ${name}`.execute(db)).rows[0]?.d
        : (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname = ${name}`.execute(db)).rows[0]?.d;
    const partial = (column: string) => new RegExp(`where \\(?"?${column}"? is not null\\)?$`, 'i');
    for (const column of SET_ONLY) expect(await definition(`calls_${column}_idx`)).withContext(column).toMatch(partial(column));
    // Down, the same names index every call again (0005's and 0012's); up, only where set.
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    for (const column of SET_ONLY) expect(await definition(`calls_${column}_idx`)).withContext(column).toMatch(new RegExp(`\\("?${column}"?\\)$`));
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    for (const column of SET_ONLY) expect(await definition(`calls_${column}_idx`)).withContext(column).toMatch(partial(column));
    // The latest answered calls (the queue's wait estimate) and a callback's calls (retention).
    const reads: [string, ReturnType<typeof sql>][] = [
      ['calls_answered_at_idx', sql`select queue_ms from calls where answered_at is not null and queue_ms is not null and direction = 'inbound' order by answered_at desc limit 20`],
      ['calls_callback_id_idx', sql`select r.id from callback_requests r where r.id in ('a', 'b') and exists (select 1 from calls where calls.callback_id = r.id)`],
    ];
    for (const [index, read] of reads) {
      const plan = await queryPlan(db, dialect, read);
      expect(plan).withContext(index).toContain(index);
    }
  });
});
