import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** How many prepared statements {@link withStatementCache} keeps by default (the app runs a few dozen distinct ones). */
export const SQLITE_STATEMENT_CACHE_SIZE = 256;

/**
 * The database Kysely's `SqliteDialect` is given, with a bounded cache of prepared statements
 * by SQL text in front of better-sqlite3's `prepare` (which Kysely's driver calls for every
 * query). The least recently used statement goes first when `max` is reached. A cached
 * statement still busy (an unfinished `iterate`, i.e. a stream) is not handed out again: a
 * fresh one is prepared for that query. SQLite re-prepares a statement itself after a schema
 * change, so a cached one stays right.
 */
export function withStatementCache(file: BetterSqlite3.Database, max = SQLITE_STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      statements.clear();
      file.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached && !cached.busy) {
        // Map order is insertion order: re-inserting marks it most recently used.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = file.prepare(sql);
      if (cached) return statement;
      statements.set(sql, statement);
      if (statements.size > max) statements.delete(statements.keys().next().value as string);
      return statement;
    },
  };
}
