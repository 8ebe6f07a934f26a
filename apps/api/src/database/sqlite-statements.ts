import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Kysely, LogEvent, QueryResult, SqliteDatabase, SqliteStatement, Transaction } from 'kysely';
import type { Database } from './schema';
import type { SqliteConnectionState } from './sqlite-dialect';

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

/**
 * Runs statements on SQLite's connection without Kysely's executor, for `runPrepared`: the
 * statement cache, then better-sqlite3, synchronously, as Kysely's SQLite connection does, and
 * the same `log` hook (the statement metrics). Kysely's path wraps each statement in five or
 * six async layers (the connection's mutex, the transaction's queue, the logging wrapper, the
 * driver); for short statements their promises cost about as much CPU as SQLite running them.
 *
 * Used in three cases, where a statement run at once is where Kysely would run it or sees
 * what it would see:
 * - inside a transaction opened with {@link withDirectStatements} (the ledger's), while its
 *   work runs: it holds the one connection, so the statement is the transaction's;
 * - on the app's `Kysely` itself (not a transaction) while nobody has or waits for the
 *   connection (`SwitchboardSqliteDialect.connection`): no transaction is open, and nothing
 *   can start one before the statement has run (it runs synchronously);
 * - a read on the app's `Kysely` itself while the connection is taken: on a read-only
 *   connection of its own ({@link readingNow}), seeing what has committed.
 * Anything else goes through Kysely: a write outside a transaction while one is open
 * (Kysely's mutex keeps it out of it: it waits), a transaction that has ended (Kysely refuses
 * it), a `Kysely` made with plugins or another schema (`withPlugin`, `withSchema`: another
 * object, not registered). What it does not do that Kysely would: plugins' result transforms
 * (the registered objects have none), and ordering against a `stream()` still open on the same
 * transaction (the ledger streams nothing; outside transactions a stream holds the connection).
 */
export class SqliteDirect {
  constructor(
    private readonly database: SqliteDatabase,
    private readonly log?: (event: LogEvent) => void,
  ) {}

  /** Runs `sql` with `parameters`: its rows, or for a write its changes (as Kysely's result). */
  execute<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    const started = this.log ? performance.now() : 0;
    let result: QueryResult<R>;
    try {
      result = this.run<R>(sql, parameters);
    } catch (error) {
      this.log?.({ level: 'error', error, query: logged(sql, parameters), queryDurationMillis: performance.now() - started });
      throw error;
    }
    this.log?.({ level: 'query', isStream: false, query: logged(sql, parameters), queryDurationMillis: performance.now() - started });
    return result;
  }

  /**
   * Runs `sql` like {@link execute} if it only reads (better-sqlite3's `readonly`: a select, not
   * a write with `returning`); undefined, having run nothing, if it writes.
   */
  executeIfReading<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> | undefined {
    const statement = this.database.prepare(sql) as SqliteStatement & Partial<Pick<BetterSqlite3.Statement, 'readonly'>>;
    return statement.readonly === true ? this.execute<R>(sql, parameters) : undefined;
  }

  private run<R>(sql: string, parameters: readonly unknown[]): QueryResult<R> {
    const statement = this.database.prepare(sql);
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }
}

/** The statement as the log hook reads it (its text; Kysely's query tree and id are not made for it). */
function logged(sql: string, parameters: readonly unknown[]): CompiledQuery {
  return { sql, parameters, query: undefined, queryId: undefined } as unknown as CompiledQuery;
}

/**
 * Per SQLite database, by its adapter (which its transactions share): its {@link SqliteDirect},
 * its app's `Kysely` itself, the state of that one's connection, and a {@link SqliteDirect}
 * on a read-only connection of its own, if it has one.
 */
const registered = new WeakMap<object, { direct: SqliteDirect; root: Kysely<Database>; connection: () => SqliteConnectionState; reads?: SqliteDirect }>();

/** The transactions {@link withDirectStatements} marked, while their work runs. */
const openTransactions = new WeakSet<object>();

/**
 * Lets `runPrepared` run `db`'s statements through `direct`: those of `db`'s transactions
 * marked by {@link withDirectStatements}, and those on `db` itself while `connection()` says
 * nobody has or waits for the connection. With `reads` (on a read-only connection to the same
 * file), a statement on `db` itself that only reads runs there while the connection is taken,
 * instead of waiting for it ({@link readingNow}).
 */
export function runStatementsDirectly(db: Kysely<Database>, direct: SqliteDirect, connection: () => SqliteConnectionState, reads?: SqliteDirect): void {
  registered.set(db.getExecutor().adapter, { direct, root: db, connection, reads });
}

/**
 * Runs `work`, the body of the transaction `trx` (inside Kysely's `transaction().execute`),
 * with `runPrepared` running `trx`'s statements through {@link SqliteDirect} on SQLite; once
 * `work` has ended, `trx` is Kysely's again (which refuses a statement of an ended transaction).
 */
export async function withDirectStatements<T>(trx: Transaction<Database>, work: () => Promise<T>): Promise<T> {
  openTransactions.add(trx);
  try {
    return await work();
  } finally {
    openTransactions.delete(trx);
  }
}

/**
 * `db`'s {@link SqliteDirect} when a statement run on `db` now can skip Kysely's executor (a
 * marked open transaction, or the app's `Kysely` while its connection is idle), else undefined
 * (Kysely runs the statement).
 */
export function directNow(db: Kysely<Database>): SqliteDirect | undefined {
  const database = registered.get(db.getExecutor().adapter);
  if (!database) return undefined;
  return openTransactions.has(db) || (db === database.root && database.connection() === 'idle') ? database.direct : undefined;
}

/**
 * The read-only connection's {@link SqliteDirect} for a statement on the app's `Kysely` itself
 * (not a transaction) while its connection is taken, else undefined (before the driver has
 * started and once it is destroyed, Kysely's own checks apply, as for {@link directNow}). Such a read would wait for
 * the transaction holding the connection (and every statement queued before it) and then see
 * what it committed; on its own connection it runs at once and sees what has committed so far
 * (SQLite's WAL: a reader never waits for the writer). That is what a read outside transactions
 * sees on PostgreSQL, where the app runs the same code: nothing may rely on a read outside a
 * transaction seeing one that has not committed yet.
 */
export function readingNow(db: Kysely<Database>): SqliteDirect | undefined {
  const database = registered.get(db.getExecutor().adapter);
  return database && db === database.root && database.connection() === 'taken' ? database.reads : undefined;
}
