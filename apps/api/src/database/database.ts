import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteAdapter, sql, type LogEvent, type MigrationProvider, type MigrationResultSet } from 'kysely';
import { Pool } from 'pg';
import { Logger } from '@nestjs/common';
import type { AppConfig, SqlDialect } from '../config/config';
import { StaticMigrationProvider } from './migrations';
import { withNamedStatements } from './postgres-statements';
import { checkpointInBackground } from './sqlite-checkpoints';
import { SwitchboardSqliteDialect } from './sqlite-dialect';
import { openSqliteReadOnly } from './sqlite-read-only';
import { runStatementsDirectly, SqliteDirect, withStatementCache } from './sqlite-statements';
import type { Database } from './schema';

const databaseLog = new Logger('Database');

/** Where the app's SQLite connection keeps temporary data, but while migrating: in memory (see openDatabase). */
const APP_TEMP_STORE = 'MEMORY';

/** An open database and which dialect it speaks. */
export interface DatabaseConnection {
  db: Kysely<Database>;
  dialect: SqlDialect;
}

/** How {@link openDatabase} opens the database. */
export interface DatabaseOptions {
  /** Kysely's log hook: sees every statement with its duration (the metrics time them). */
  log?: (event: LogEvent) => void;
}

/**
 * Opens the configured database: the SQLite file (created, WAL journal checkpointed in the
 * background by {@link checkpointInBackground}, foreign keys enforced) or a pooled PostgreSQL connection. Statements are prepared once, not per query:
 * cached by SQL text on SQLite ({@link withStatementCache}), named prepared statements on
 * PostgreSQL ({@link withNamedStatements}). Does not migrate; see {@link migrateToLatest}.
 */
export function openDatabase(settings: AppConfig['database'], options: DatabaseOptions = {}): DatabaseConnection {
  if (settings.dialect === 'postgres') {
    // Pipelined: a transaction's `begin` and the statements whose results nobody reads go out
    // with the next statement (see withNamedStatements), one round trip instead of several.
    const pool = new Pool({ connectionString: settings.url, max: 10, pipeline: true });
    // An idle connection the server dropped (restart, failover) is an 'error' on the pool; with
    // no listener it would crash the process. The pool replaces it; queries fail meanwhile and
    // readiness (`/api/health/ready`) reports the database down.
    pool.on('error', (err) => databaseLog.warn({ msg: 'PostgreSQL connection lost', error: err.message }));
    return { dialect: 'postgres', db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }), log: options.log }) };
  }
  mkdirSync(dirname(settings.file), { recursive: true });
  const file = new SQLite(settings.file);
  const wal = file.pragma('journal_mode = WAL', { simple: true }) === 'wal';
  // WAL with synchronous=NORMAL: a commit survives the process being killed (the chaos test
  // proves it); only an OS crash or power cut may lose the last commits before a checkpoint.
  // FULL would sync on every commit, about 1 ms each here, the largest cost of a call setup.
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  // A transaction's rollback journals (a statement's, a savepoint's: the ledger runs each unit
  // of a grouped commit in one) in memory: by default SQLite moves one past 64 KiB to a
  // temporary file, created and written in /var/tmp on the event loop — for most of the
  // ledger's grouped transactions under load. About a third of SQLite's time of a call setup
  // (tools/bench, README → Measured). Durability is the WAL's, not these journals'. This also
  // keeps sorts in memory: the history's large ones run on the read pool's connections, and
  // migrations (index builds, table rebuilds: sorts as large as a table) switch back to files
  // while they run (migrateToLatest).
  file.pragma(`temp_store = ${APP_TEMP_STORE}`);
  // Another process (a CLI tool next to the server) may hold the write lock briefly.
  file.pragma('busy_timeout = 5000');
  const stopCheckpoints = checkpointInBackground(file);
  const statements = withStatementCache(file);
  // A second connection, read-only, for prepared reads outside transactions while the first
  // is taken (see readingNow): WAL lets it read while the other writes. Without WAL (a file
  // system without shared memory) a reader would block the event loop on the writer's lock.
  const reader = wal ? withStatementCache(openSqliteReadOnly(settings.file)) : undefined;
  const database = {
    ...statements,
    close: () => {
      stopCheckpoints();
      reader?.close();
      statements.close();
    },
  };
  const dialect = new SwitchboardSqliteDialect({ database });
  const db = new Kysely<Database>({ dialect, log: options.log });
  // Prepared statements skip Kysely's executor inside the ledger's transactions and while the
  // connection is idle (see SqliteDirect), and reads do not wait for it while it is taken.
  runStatementsDirectly(db, new SqliteDirect(database, options.log), () => dialect.connection, reader && new SqliteDirect(reader, options.log));
  return { dialect: 'sqlite', db };
}

/**
 * Applies every migration not yet applied, in order, inside Kysely's migration lock and in one
 * transaction on both databases: when one fails, none of them is applied or recorded.
 *
 * @throws the first migration error, after logging nothing: callers decide how to report it.
 */
export async function migrateToLatest(db: Kysely<Database>, provider: MigrationProvider = new StaticMigrationProvider()): Promise<MigrationResultSet['results']> {
  const migrator = new Migrator({ db, provider });
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  // SQLite: a migration's sorts (an index built, a table rebuilt in key order) are as large as
  // a table; in temporary files they take disk, not memory (gigabytes at a million calls).
  if (sqlite) await sql.raw(`pragma temp_store = FILE`).execute(db);
  const { error, results } = await migrator.migrateToLatest().finally(async () => {
    if (sqlite) await sql.raw(`pragma temp_store = ${APP_TEMP_STORE}`).execute(db);
  });
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // SQLite: the run was one transaction, all of it in the WAL, which the background
  // checkpoints copy out but never shrink (a rebuild of a big table leaves a WAL as big).
  if (results && results.length > 0 && sqlite) await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  return results;
}

/** Opens the configured database and brings its schema up to date. */
export async function openMigratedDatabase(settings: AppConfig['database'], options: DatabaseOptions = {}): Promise<DatabaseConnection> {
  const connection = openDatabase(settings, options);
  try {
    await migrateToLatest(connection.db);
    return connection;
  } catch (err) {
    await connection.db.destroy();
    throw err;
  }
}

/** Whether the database answers a trivial query. */
export async function isDatabaseReachable(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
