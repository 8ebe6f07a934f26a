import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { Database } from '../database/schema';
import { callFilters, containsPattern, keysetRuns, outcomeStreams } from './call-queries';

const dialects = {
  sqlite: new Kysely<Database>({
    dialect: { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new SqliteIntrospector(db), createQueryCompiler: () => new SqliteQueryCompiler() },
  }),
  postgres: new Kysely<Database>({
    dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
  }),
};

describe('call queries', () => {
  it('escapes LIKE wildcards and lower-cases the substring', () => {
    expect(containsPattern('50%_Off\\')).toBe('%50\\%\\_off\\\\%');
    expect(containsPattern("O'Brien")).toBe("%o'brien%");
  });

  it('binds every filter as a parameter, on both dialects', () => {
    for (const db of Object.values(dialects)) {
      const q = db
        .selectFrom('calls')
        .selectAll()
        .where((eb) => callFilters(eb, { from: 'F', to: 'T', agentId: 'A', outcome: ['answered', 'failed'], student: "x'; drop table calls" }))
        .compile();
      expect(q.sql).not.toContain('drop table');
      expect(q.parameters).toEqual(['F', 'T', 'A', 'answered', 'failed', "%x'; drop table calls%", "%x'; drop table calls%"]);
      expect(q.sql).toMatch(/lower\(.*caller_name.*\) like .* escape '\\'/);
      expect(q.sql).toMatch(/exists \(select .*users.*username.* like /);
    }
  });

  it('adds no condition without filters', () => {
    expect(dialects.sqlite.selectFrom('calls').selectAll().where((eb) => callFilters(eb, {})).compile().parameters).toEqual([]);
  });
  it('reads a page sorted by another column than time per outcome: the filter\'s, or every one and the calls in progress', () => {
    expect(outcomeStreams({}, 'talkSeconds')).toEqual(['answered', 'abandoned', 'short_abandon', 'unanswered', 'failed', null]);
    expect(outcomeStreams({ outcome: ['failed', 'answered'] }, 'agentName')).toEqual(['failed', 'answered']);
    expect(outcomeStreams({ outcome: ['failed'] }, 'outcome')).toEqual(['failed']);
    expect(outcomeStreams({ agentId: 'a' }, 'outcome')).toHaveSize(6);
    // One walk: by time, and for an indexed student search (few calls, sorted).
    expect(outcomeStreams({ outcome: ['failed'] }, 'queuedAt')).toBeUndefined();
    expect(outcomeStreams({ student: 'oka', outcome: ['failed'] }, 'callerName')).toBeUndefined();
    expect(outcomeStreams({ student: 'ok' }, 'callerName')).toHaveSize(6);
  });

  it('reads a nullable sort\'s values and its nulls as separate runs, in the order of the page', () => {
    const db = dialects.sqlite;
    const keys = db.selectFrom('calls').select(['calls.id', 'calls.queued_at', 'calls.talk_ms']);
    const runs = (cursor: { talk_ms: number | null } | undefined, reverse: boolean) =>
      keysetRuns(db, keys, 'talkSeconds', 'desc', { cursor: cursor && { ...cursor, queued_at: 'Q', id: 'I' }, reverse }).map((run) => {
        const { sql, parameters } = run(26).compile();
        return `${/"talk_ms" is null/.test(sql) ? 'nulls' : 'values'}${parameters.includes('Q') ? ' after the cursor' : ''}`;
      });
    expect(runs(undefined, false)).toEqual(['values', 'nulls']);
    expect(runs({ talk_ms: 5000 }, false)).toEqual(['values after the cursor', 'nulls']);
    expect(runs({ talk_ms: 5000 }, true)).toEqual(['values after the cursor']);
    expect(runs({ talk_ms: null }, false)).toEqual(['nulls after the cursor']);
    expect(runs({ talk_ms: null }, true)).toEqual(['nulls after the cursor', 'values']);
  });
});
