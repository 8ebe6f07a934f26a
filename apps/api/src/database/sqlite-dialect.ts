import { SqliteAdapter, SqliteDialect, type DatabaseConnection, type DialectAdapter, type Driver, type QueryCompiler, type TransactionSettings } from 'kysely';

/**
 * Kysely's SQLite dialect with three changes:
 * - its adapter says SQLite's DDL is transactional (it is): Kysely's Migrator then runs the
 *   pending migrations and their `kysely_migration` records in one transaction, as on
 *   PostgreSQL. With Kysely's own adapter it runs them statement by statement, and a migration
 *   that fails or a process killed half-way through a table rebuild (0008, 0012, 0013, 0014,
 *   0024)
 *   leaves a half-changed schema the next start cannot migrate. Nothing else reads the flag. A
 *   subclass of `SqliteAdapter`, so the `instanceof SqliteAdapter` checks (migrations, ledger)
 *   still see SQLite.
 * - its driver tells whether anyone has or waits for the one connection ({@link connection}): while
 *   nobody does, no transaction is open, and a statement run synchronously on the connection
 *   is alone on it (`SqliteDirect` does that for `runPrepared` outside transactions);
 * - its driver hands the connection to those waiting for it one at a time, in arrival order
 *   ({@link WatchedConnectionDriver}).
 */
export class SwitchboardSqliteDialect extends SqliteDialect {
  #driver: WatchedConnectionDriver | undefined;

  /**
   * The connection's state: `idle` (open, nobody has or waits for it), `taken` (open, someone
   * has it or waits for it), or `closed` (until Kysely has started the driver — its first
   * statement; the app's migration run does that — and once it is being destroyed: then
   * Kysely's own checks apply, the statement starts the driver or is refused after `destroy()`).
   */
  get connection(): SqliteConnectionState {
    return this.#driver?.state ?? 'closed';
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    this.#driver = new WatchedConnectionDriver(super.createDriver());
    return this.#driver;
  }
}

/** Whether the one connection is open, and whether anyone has or waits for it. */
export type SqliteConnectionState = 'idle' | 'taken' | 'closed';

/** {@link SwitchboardSqliteDialect}'s adapter. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite driver, counting who has or waits for its one connection (from
 * `acquireConnection` to the end of `releaseConnection`; a statement, a transaction from begin
 * to commit or rollback, and a stream each hold it) and queueing those who wait.
 *
 * Kysely's own mutex wakes every waiter at each release and all but one go back to waiting:
 * with n waiting, n turns of the event loop's promise machinery per release, n² to serve
 * them. Under the gateway bench's saturated phase (the ledger's transaction open, the reads
 * outside it queued behind) up to 320 waited, ~300 wake-ups per call setup and the largest
 * single source of allocations in the API. Here the waiters are queued and the releasing
 * caller wakes the first of them, to whom it hands the connection: Kysely's mutex is then
 * always free when the next caller takes it.
 */
class WatchedConnectionDriver implements Driver {
  #users = 0;
  #open = false;
  /** Whether a caller has the connection or has been handed it. */
  #taken = false;
  /** Callers waiting for the connection, in arrival order. */
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly driver: Driver) {}

  get state(): SqliteConnectionState {
    return !this.#open ? 'closed' : this.#users === 0 ? 'idle' : 'taken';
  }

  async init(): Promise<void> {
    await this.driver.init();
    this.#open = true;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#users++;
    try {
      if (this.#taken) await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.#taken = true;
      return await this.driver.acquireConnection();
    } catch (err) {
      this.#users--;
      this.#handOver();
      throw err;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.driver.releaseConnection(connection);
    } finally {
      this.#users--;
      this.#handOver();
    }
  }

  /** Gives the connection to the first caller waiting, or marks it free. */
  #handOver(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#taken = false;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.driver.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.rollbackTransaction(connection);
  }

  // Kysely's SQLite driver has all three (savepoints are how the ledger groups units).
  savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return savepoints(this.driver).savepoint(connection, name, compileQuery);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return savepoints(this.driver).rollbackToSavepoint(connection, name, compileQuery);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    return savepoints(this.driver).releaseSavepoint(connection, name, compileQuery);
  }

  destroy(): Promise<void> {
    this.#open = false;
    return this.driver.destroy();
  }
}

type SavepointDriver = Required<Pick<Driver, 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint'>>;

function savepoints(driver: Driver): SavepointDriver {
  if (!driver.savepoint || !driver.rollbackToSavepoint || !driver.releaseSavepoint) throw new Error('This SQLite driver has no savepoints');
  return driver as SavepointDriver;
}
