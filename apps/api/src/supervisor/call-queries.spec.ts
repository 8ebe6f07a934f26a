import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { Database } from '../database/schema';
import { callFilters, containsPattern } from './call-queries';

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
});
