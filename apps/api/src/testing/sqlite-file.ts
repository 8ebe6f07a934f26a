import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseOptions } from '../database/database';
import type { Database } from '../database/schema';
import { createTempDir } from './temp-dir';

/**
 * Runs `work` on the app's SQLite database (`openDatabase`, not migrated) in a file of a fresh
 * temp directory, then destroys the database and deletes the directory, whatever `work` did.
 */
export async function withSqliteFile(work: (db: Kysely<Database>, file: string) => Promise<void>, options: DatabaseOptions = {}): Promise<void> {
  const dir = createTempDir();
  const file = join(dir.path, 'app.sqlite');
  const { db } = openDatabase({ dialect: 'sqlite', file }, options);
  try {
    await work(db, file);
  } finally {
    await db.destroy();
    dir.remove();
  }
}
