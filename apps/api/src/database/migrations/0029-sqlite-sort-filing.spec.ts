import { CompiledQuery, Migrator, sql, type Kysely } from 'kysely';
import { CALL_OUTCOMES, type CallFilters, type CallSortKey, type SortDirection } from '@switchboard/call-domain';
import { FILING_BATCH, FILING_EVERY_MS, HistoryFiling } from '../../calls/history-filing.service';
import { SORT_COLUMNS, callFilters, keysetRuns, outcomeStreams, readRuns, type CallCursor } from '../../supervisor/call-queries';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import type { SqlDialect } from '../../config/config';
import type { Database } from '../schema';
import { SQLITE_ENDED } from './0023-sqlite-ended-sort-indexes';
import { SORT_PENDING_INDEXES } from './0029-sqlite-sort-filing';
import { StaticMigrationProvider } from './index';

const AGENTS = [
  { id: 'agent-a', name: 'Ana' },
  { id: 'agent-b', name: 'Ben' },
];
const STUDENTS = [
  { id: 'student-c', name: 'Cleo' },
  { id: 'student-d', name: 'Dev' },
  { id: 'student-e', name: 'Eli' },
];

describeEachDialect('migration 0029 (SQLite files ended calls into the history’s sort indexes in batches)', (database, dialectOfSuite) => {
  const calls = () => database().db as unknown as Kysely<Database>;

  beforeEach(async () => {
    const at = '2026-12-01T00:00:00.000Z';
    for (const u of [...AGENTS, ...STUDENTS]) {
      await calls().insertInto('users').values({ id: u.id, username: u.id, display_name: u.name, role: u.id.startsWith('agent') ? 'agent' : 'student', password_hash: 'x', created_at: at }).execute();
    }
  });

  afterEach(async () => {
    await calls().deleteFrom('calls').execute();
    await calls().deleteFrom('users').execute();
  });

  it('rebuilds the eight sort indexes of the ended calls for the filed ones on SQLite, with one of the calls not filed yet; PostgreSQL’s unchanged; down and up', async () => {
    const { db, dialect } = database();
    const definitions = async () =>
      dialect === 'sqlite'
        ? (await sql<{ name: string; d: string }>`select name, sql as d from sqlite_master where type = 'index' and tbl_name = 'calls'`.execute(db)).rows
        : (await sql<{ name: string; d: string }>`select indexname as name, indexdef as d from pg_indexes where tablename = 'calls'`.execute(db)).rows;
    const latest = await tableIndexes(db, dialect, 'calls');
    const ended = SQLITE_ENDED.map(([, name]) => name);
    const now = await definitions();
    for (const name of ended) {
      expect(now.find((s) => s.name === name)?.d)
        .withContext(name)
        .toMatch(dialect === 'sqlite' ? / where outcome is not null and sort_pending = 0$/ : / WHERE \(outcome IS NOT NULL\)$/);
    }
    for (const [name, columns] of SORT_PENDING_INDEXES) {
      if (dialect === 'sqlite') expect(now.find((s) => s.name === name)?.d).toMatch(new RegExp(`\\(${columns.join(', ')}\\) where sort_pending = 1$`));
      else expect(latest).not.toContain(name);
    }

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0028-live-call-indexes')).error).toBeUndefined();
    const before = await definitions();
    for (const name of ended) expect(before.find((s) => s.name === name)?.d).withContext(name).toMatch(/ where \(?outcome is not null\)?$/i);
    for (const [name] of SORT_PENDING_INDEXES) expect(before.map((s) => s.name)).not.toContain(name);
    await expectAsync(sql`select sort_pending from calls`.execute(db)).toBeRejected();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
  });

  it('lists the calls not filed yet where they belong in every sorted page, forwards and backwards, with and without an agent; the same once filed', async () => {
    // 24 ended calls of every outcome; on SQLite every third one just ended (not filed).
    const rows = Array.from({ length: 24 }, (_, i) => {
      const outcome = CALL_OUTCOMES[i % CALL_OUTCOMES.length];
      const agent = outcome === 'answered' || i % 4 === 0 ? AGENTS[i % 2] : null;
      const student = STUDENTS[i % 3];
      return {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        state: 'ended' as const,
        outcome,
        caller_id: student.id,
        caller_name: student.name,
        agent_id: agent?.id ?? null,
        agent_name: agent?.name ?? null,
        queued_at: new Date(Date.UTC(2026, 11, 1, 9, 0, i % 7)).toISOString(),
        queue_ms: (i * 7) % 5 === 0 ? null : ((i * 7) % 5) * 1000,
        talk_ms: agent ? ((i * 5) % 4) * 60_000 : null,
        ended_at: '2026-12-01T10:00:00.000Z',
        sort_pending: dialectOfSuite === 'sqlite' && i % 3 === 0 ? 1 : 0,
      };
    });
    await calls().insertInto('calls').values(rows).execute();
    const sorts: CallSortKey[] = ['talkSeconds', 'queueSeconds', 'agentName', 'callerName'];
    const expectPages = async (context: string) => {
      for (const sort of sorts) {
        for (const dir of ['asc', 'desc'] as SortDirection[]) {
          for (const filters of [{}, { agentId: 'agent-a' }, { outcome: ['answered' as const] }, { to: '2026-12-01T09:00:05.000Z' }, { from: '2026-12-01T09:00:02.000Z', agentId: 'agent-a' }] as CallFilters[]) {
            const { column } = SORT_COLUMNS[sort];
            const matching = rows.filter(
              (r) =>
                (!filters.agentId || r.agent_id === filters.agentId) &&
                (!filters.outcome || filters.outcome.includes(r.outcome)) &&
                (!filters.from || r.queued_at >= filters.from) &&
                (!filters.to || r.queued_at < filters.to),
            );
            const wanted = [...matching].sort((x, y) => compareRows(x as never, y as never, column, dir)).map((r) => r.id);
            const label = `${context}: ${sort} ${dir} ${JSON.stringify(filters)}`;
            expect(await pagesOf(calls(), dialectOfSuite, sort, dir, filters, 5, false)).withContext(`${label} forwards`).toEqual(wanted);
            expect(await pagesOf(calls(), dialectOfSuite, sort, dir, filters, 5, true)).withContext(`${label} backwards`).toEqual(wanted);
          }
        }
      }
    };
    await expectPages('not filed yet');
    // Each filter set above holds calls not filed (on SQLite), the period with an agent too.
    if (dialectOfSuite === 'sqlite') expect(rows.filter((r) => r.sort_pending === 1 && r.agent_id === 'agent-a' && r.queued_at >= '2026-12-01T09:00:02.000Z').length).toBeGreaterThan(0);
    const filing = new HistoryFiling(calls());
    expect(await filing.fileNow()).toBe(dialectOfSuite === 'sqlite' ? 8 : 0);
    expect(await calls().selectFrom('calls').select('id').where('sort_pending', '=', 1).execute()).toEqual([]);
    await expectPages('filed');
  });

  /** Bootstraps `HistoryFiling` with `setInterval` spied on: the timers it asked for, run by the test instead of in 10 s. */
  function bootstrapWithSpiedTimers(db: Kysely<Database>) {
    const timers: { run: () => void; every: number }[] = [];
    const handle = { unref: () => handle };
    spyOn(globalThis, 'setInterval').and.callFake(((run: () => void, every: number) => {
      timers.push({ run, every });
      return handle;
    }) as unknown as typeof setInterval);
    const cleared = spyOn(globalThis, 'clearInterval');
    const filing = new HistoryFiling(db);
    filing.onApplicationBootstrap();
    return { timers, handle, cleared, filing };
  }

  if (dialectOfSuite === 'sqlite') {
    it('files on a timer every FILING_EVERY_MS once the app has started (SQLite), until stopped', async () => {
      const db = calls();
      const pendingCalls = async () => Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).where('sort_pending', '=', 1).executeTakeFirstOrThrow()).n);
      const endedPending = (i: number) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        state: 'ended' as const,
        outcome: 'answered' as const,
        caller_id: STUDENTS[i % 3].id,
        caller_name: STUDENTS[i % 3].name,
        queued_at: new Date(Date.UTC(2026, 11, 1, 9, 0, i)).toISOString(),
        sort_pending: 1,
      });
      await db.insertInto('calls').values([0, 1, 2].map(endedPending)).execute();
      const { timers, handle, cleared, filing } = bootstrapWithSpiedTimers(db);
      expect(timers.map((t) => t.every)).toEqual([FILING_EVERY_MS]);
      expect(await pendingCalls()).toBe(3);
      timers[0].run();
      for (let tries = 0; tries < 50 && (await pendingCalls()) > 0; tries++) await new Promise((r) => setImmediate(r));
      expect(await pendingCalls()).withContext('filed by the timer, not by the test').toBe(0);
      await filing.stop();
      expect(cleared).toHaveBeenCalledWith(handle as unknown as NodeJS.Timeout);
    });
  } else {
    it('starts no filing timer on PostgreSQL (its sort indexes take an ended call in the move that ends it)', async () => {
      const { timers, filing } = bootstrapWithSpiedTimers(calls());
      expect(timers).toEqual([]);
      await filing.stop();
    });
  }

  if (dialectOfSuite === 'sqlite') {
    it('reads the filed calls of an outcome on its sort index and the ones not filed yet on their own indexes, whatever the filters (SQLite)', async () => {
      const db = calls();
      const period = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
      const filterSets: CallFilters[] = [{}, period, { to: period.to }, { outcome: ['answered', 'failed'] }, { ...period, outcome: ['answered'] }, { agentId: 'agent-a' }, { ...period, agentId: 'agent-a', outcome: ['answered'] }];
      for (const sort of ['talkSeconds', 'queueSeconds', 'agentName', 'callerName'] as const) {
        const { column } = SORT_COLUMNS[sort];
        for (const filters of filterSets) {
          const context = `${sort} ${JSON.stringify(filters)}`;
          const keys = db.selectFrom('calls').select(['calls.id', 'calls.queued_at', `calls.${column}`]);
          const at = { id: 'x', queued_at: '2026-11-15T00:00:00.000Z' };
          for (const [dir, reverse, cursor] of [
            ['desc', false, undefined],
            ['asc', true, undefined],
            ['desc', false, { ...at, [column]: column.endsWith('_ms') ? 1000 : 'M' }],
            ['asc', true, { ...at, [column]: column.endsWith('_ms') ? 1000 : 'M' }],
            ['asc', false, { ...at, [column]: null }],
          ] as const) {
            for (const run of keysetRuns(db, keys, sort, dir, { cursor, reverse, outcomes: outcomeStreams(filters, sort), filters: (eb) => callFilters(eb, filters, 'sqlite', sort) })) {
              const compiled = run(26).compile();
              const plan = (await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]))).rows.map((r) => r.detail);
              const reads = plan.filter((p) => / calls /.test(p));
              const pending = reads.filter((p) => /sort_pending_/.test(p));
              // One walk of each ended outcome on its pending index (the agent's with an agent), one on the sort index.
              expect(pending.length).withContext(`${context}\n${plan.join('\n')}`).toBe(reads.filter((p) => /_ended_sort_idx/.test(p)).length);
              expect(pending.length).withContext(`${context}\n${plan.join('\n')}`).toBeGreaterThan(0);
              for (const read of pending) {
                expect(read)
                  .withContext(`${context}\n${plan.join('\n')}`)
                  .toMatch(filters.agentId ? /^SEARCH calls USING INDEX calls_sort_pending_by_agent_idx \(sort_pending=\? AND outcome=\? AND agent_id=\?/ : /^SEARCH calls USING INDEX calls_sort_pending_idx \(sort_pending=\? AND outcome=\?/);
              }
              for (const read of reads.filter((p) => /_ended_sort_idx/.test(p))) expect(read).withContext(context).toMatch(filters.agentId ? /_by_agent_ended_sort_idx \(outcome=\? AND agent_id=\?/ : /calls_\w+_ended_sort_idx \(outcome=\?/);
            }
          }
        }
      }
    });

    it('files in batches until none is left, one pass at a time', async () => {
      const db = calls();
      const rows = Array.from({ length: 2_500 }, (_, i) => ({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        state: 'ended' as const,
        outcome: 'abandoned' as const,
        caller_id: STUDENTS[i % 3].id,
        caller_name: STUDENTS[i % 3].name,
        queued_at: new Date(Date.UTC(2026, 11, 1, 9, 0, 0, i)).toISOString(),
        sort_pending: 1,
      }));
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('calls').values(rows.slice(i, i + 500)).execute();
      const filing = new HistoryFiling(db);
      const [first, second] = [filing.fileNow(), filing.fileNow()];
      expect(second).toBe(first);
      // The connection is given back between statements: a read asked for meanwhile runs after
      // the first batch, not after the whole pass.
      const during = await db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).where('sort_pending', '=', 1).executeTakeFirstOrThrow();
      expect(Number(during.n)).toBe(2_500 - FILING_BATCH);
      expect(await first).toBe(2_500);
      expect(await filing.fileNow()).toBe(0);
      expect(Number((await sql<{ n: number }>`select count(*) as n from calls indexed by calls_talk_ms_ended_sort_idx where outcome = 'abandoned' and sort_pending = 0`.execute(db)).rows[0].n)).toBe(2_500);
    });
  }
});

type Row = { id: string; queued_at: string } & Record<string, string | number | null>;

/** The history's order: the column (nulls last either way), then queue time, then id, all in `dir`. */
function compareRows(x: Row, y: Row, column: string, dir: SortDirection): number {
  const sign = dir === 'asc' ? 1 : -1;
  const [a, b] = [x[column], y[column]];
  if (a === null && b !== null) return 1;
  if (b === null && a !== null) return -1;
  const byColumn = a === b ? 0 : (a as string | number) < (b as string | number) ? -1 : 1;
  return sign * (byColumn || (x.queued_at < y.queued_at ? -1 : x.queued_at > y.queued_at ? 1 : 0) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Every id, read `size` at a time from keyset cursors as the history's pages do: from the first page on, or from the last page back. */
async function pagesOf(db: Kysely<Database>, dialect: SqlDialect, sort: CallSortKey, dir: SortDirection, filters: CallFilters, size: number, backwards: boolean): Promise<string[]> {
  const { column } = SORT_COLUMNS[sort];
  const keys = db.selectFrom('calls').select(['calls.id', 'calls.queued_at', `calls.${column}`]);
  const ids: string[] = [];
  let cursor: CallCursor | undefined;
  for (let page = 0; page < 50; page++) {
    const runs = keysetRuns(db, keys, sort, dir, { cursor, reverse: backwards, outcomes: outcomeStreams(filters, sort), filters: (eb) => callFilters(eb, filters, dialect, sort) });
    const found = (await readRuns(runs, size, (run) => run.execute())) as unknown as CallCursor[];
    if (!found.length) break;
    if (backwards) ids.unshift(...[...found].reverse().map((r) => r.id));
    else ids.push(...found.map((r) => r.id));
    cursor = found[found.length - 1];
  }
  return ids;
}
