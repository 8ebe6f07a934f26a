import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Kysely, LogEvent, QueryResult, SqliteDatabase, SqliteStatement, Transaction } from 'kysely';
import type { Database } from './schema';

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
 * Runs statements on SQLite's connection without Kysely's executor, for `runPrepared` inside a
 * transaction opened with {@link withDirectStatements} (the ledger's): the statement cache,
 * then better-sqlite3, synchronously, as Kysely's SQLite connection does, and the same `log`
 * hook (the statement metrics). Kysely's path wraps each statement in five or six async layers
 * (the transaction's connection queue, the logging wrapper, the driver); for the ledger's
 * short statements their promises cost about as much CPU as SQLite running them.
 *
 * Only while that transaction is open: it holds the one connection, so a statement run here is
 * the transaction's, as through Kysely. Anything else goes through Kysely: a statement outside
 * a transaction (Kysely's connection mutex keeps it out of another flow's open transaction), a
 * transaction that has ended (Kysely refuses it), a transaction made with plugins or another
 * schema (`withPlugin`, `withSchema`: another object, not marked). What it does not do that
 * Kysely would: plugins' result transforms (the marked transactions have none), and ordering
 * against a `stream()` still open on the same transaction (the ledger streams nothing).
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

/** Each SQLite Kysely instance's {@link SqliteDirect}, by its adapter (which its transactions share). */
const directs = new WeakMap<object, SqliteDirect>();

/** The transactions {@link withDirectStatements} marked, while their work runs. */
const openTransactions = new WeakSet<object>();

/** Lets `runPrepared` run statements of `db`'s transactions marked by {@link withDirectStatements} through `direct`. */
export function runDirectlyInTransactions(db: Kysely<Database>, direct: SqliteDirect): void {
  directs.set(db.getExecutor().adapter, direct);
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

/** `db`'s {@link SqliteDirect} when `db` is a marked open transaction on SQLite, else undefined (Kysely runs the statement). */
export function directInTransaction(db: Kysely<Database>): SqliteDirect | undefined {
  return openTransactions.has(db) ? directs.get(db.getExecutor().adapter) : undefined;
}
