import SQLite from 'better-sqlite3';

/**
 * A read-only connection to the app's SQLite file (WAL mode, set by the app's connection): the
 * read pool's workers and the app's own reader (`readingNow`) read on one. A reader in WAL mode
 * never waits for the writer; only a WAL recovery after a crash makes it wait, as the app's
 * connection would.
 */
export function openSqliteReadOnly(file: string): SQLite.Database {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}
