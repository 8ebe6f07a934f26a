import { CompiledQuery, Migrator, sql, type Kysely } from 'kysely';
import { callFilters, keysetRuns } from '../../supervisor/call-queries';
import { describeEachDialect, queryPlan, tableIndexes } from '../../testing/each-dialect';
import type { Database } from '../schema';
import { ENDED_SORT_INDEXES } from './0022-fewer-call-index-writes';
import { KEPT_WHOLE, SQLITE_ENDED } from './0023-sqlite-ended-sort-indexes';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0023 (the sort indexes hold ended calls only on SQLite too)', (database, dialectOfSuite) => {
  it('rebuilds 0018’s sort indexes but one partial on ended calls on SQLite, leaves PostgreSQL’s as 0022 made them, and goes back down', async () => {
    const { db, dialect } = database();
    const definitions = async () =>
      dialect === 'sqlite'
        ? (await sql<{ name: string; d: string }>`select name, sql as d from sqlite_master where type = 'index' and tbl_name = 'calls' and name like 'calls_%sort_idx'`.execute(db)).rows
        : (await sql<{ name: string; d: string }>`select indexname as name, indexdef as d from pg_indexes where tablename = 'calls' and indexname like 'calls_%sort_idx'`.execute(db)).rows;
    const partial = / where \(?outcome is not null\)?$/i;
    // PostgreSQL: all nine partial (0022). SQLite: eight, and one agent's calls in progress on the ninth, whole.
    const ended = dialect === 'sqlite' ? SQLITE_ENDED.map(([, name]) => name) : ENDED_SORT_INDEXES.map(([name]) => name);
    const whole = dialect === 'sqlite' ? SQLITE_ENDED.map(([name]) => name) : [...SQLITE_ENDED.map(([name]) => name), KEPT_WHOLE];
    const latest = await tableIndexes(db, dialect, 'calls');
    expect(latest).toEqual(jasmine.arrayContaining(ended));
    for (const name of whole) expect(latest).not.toContain(name);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    // As 0023 left them (later migrations change other indexes of calls; 0029 these eight's predicate on SQLite).
    expect((await migrator.migrateTo('0023-sqlite-ended-sort-indexes')).error).toBeUndefined();
    const at0023 = await tableIndexes(db, dialect, 'calls');
    const sorts = await definitions();
    for (const name of ended) expect(sorts.find((s) => s.name === name)?.d).withContext(name).toMatch(partial);
    if (dialect === 'sqlite') expect(sorts.find((s) => s.name === KEPT_WHOLE)?.d).toMatch(/\("outcome", "agent_id", "queued_at", "id"\)$/);
    expect((await migrator.migrateTo('0022-fewer-call-index-writes')).error).toBeUndefined();
    const below = await tableIndexes(db, dialect, 'calls');
    if (dialect === 'sqlite') {
      // 0018's, every call in them.
      expect(below).toEqual(jasmine.arrayContaining([...whole, KEPT_WHOLE]));
      for (const name of ended) expect(below).not.toContain(name);
      for (const { name, d } of (await definitions()).filter((s) => whole.includes(s.name))) expect(d).withContext(name).not.toMatch(/ where /i);
    } else expect(below).toEqual(at0023);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
  });

  if (dialectOfSuite === 'sqlite') {
    it('reads an outcome’s sorted walk on its ended-call index and the calls in progress on the outcome index (SQLite)', async () => {
      const { db } = database();
      const plan = (query: ReturnType<typeof sql>) => queryPlan(db, 'sqlite', query);
      // `outcome = ?` implies the index's `outcome is not null`, a bound value too (the filed
      // calls since 0029: `sort_pending = 0` as written in its predicate).
      expect(await plan(sql`select id from calls where outcome = ${'answered'} and sort_pending = 0 and (talk_ms, queued_at, id) > (${1}, ${'2026-11-01'}, ${'x'}) order by outcome, talk_ms, queued_at, id limit 41`)).toMatch(
        /^SEARCH calls USING COVERING INDEX calls_talk_ms_ended_sort_idx \(outcome=\? AND \(talk_ms,queued_at,id\)>\(\?,\?,\?\)\)$/,
      );
      expect(await plan(sql`select id from calls where outcome = ${'answered'} and sort_pending = 0 and agent_id = ${'a'} order by outcome, agent_id, agent_name desc, queued_at desc, id desc limit 41`)).toMatch(
        /^SEARCH calls USING COVERING INDEX calls_agent_name_by_agent_ended_sort_idx \(outcome=\? AND agent_id=\?\)$/,
      );
      // The calls in progress are in none of them: read by outcome and sorted (few), one agent's
      // on the index kept whole, not by walking all of the agent's calls (0011's agent index).
      expect(await plan(sql`select id from calls where outcome is null order by outcome, talk_ms, queued_at, id limit 41`)).toMatch(/calls_outcome_queued_at_id_idx \(outcome=\?\)\nUSE TEMP B-TREE/);
      expect(await plan(sql`select id from calls where outcome is null and agent_id = ${'a'} and queued_at < ${'2026-12-01'} order by outcome, talk_ms desc, queued_at desc, id desc limit 41`)).toMatch(
        /^SEARCH calls USING INDEX calls_outcome_by_agent_sort_idx \(outcome=\? AND agent_id=\? AND queued_at<\?\)\nUSE TEMP B-TREE/,
      );
    });
  }

  if (dialectOfSuite === 'sqlite') {
    it('starts a walk after a cursor at the cursor, not at the period’s start, on a stretch without values (SQLite)', async () => {
      const { db } = database();
      // The abandoned calls have no talk time: sorted by it, they are one stretch ordered by
      // queue time, on the ended calls' index after `outcome = ? and talk_ms is null`. Of the two
      // lower bounds of the queue time there, the period's and the cursor's, SQLite takes the
      // first it finds; written first, the cursor's (a deep page or export batch then reads a page
      // of entries, not every one from the period's start).
      const calls = db as unknown as Kysely<Database>;
      const period = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', outcome: ['abandoned' as const] };
      const cursor = { id: '00000000-0000-4000-8000-000000000001', queued_at: '2026-11-20T00:00:00.000Z', outcome: 'abandoned' as const, talk_ms: null };
      for (const select of [calls.selectFrom('calls').select(['calls.id', 'calls.queued_at', 'calls.talk_ms']), calls.selectFrom('calls').selectAll()]) {
        const [run] = keysetRuns(calls, select, 'talkSeconds', 'asc', { cursor, outcomes: ['abandoned'], filters: (eb) => callFilters(eb, period, 'sqlite', 'talkSeconds') });
        const compiled = run(41).compile();
        const plan = (await calls.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]))).rows;
        expect(plan.map((r) => r.detail).join('\n')).toContain('calls_talk_ms_ended_sort_idx (outcome=? AND talk_ms=? AND (queued_at,id)>(?,?)');
      }
    });
  }
});
