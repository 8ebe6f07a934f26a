import { join } from 'node:path';
import { CompiledQuery, sql, type Compilable, type Kysely, type RawBuilder } from 'kysely';
import type { SqlDialect } from '../config/config';
import { openMigratedDatabase } from '../database/database';
import type { Database } from '../database/schema';
import { createTestPostgresDatabase } from './postgres';
import { createTempDir } from './temp-dir';

/** Every dialect the API supports, in the order the suites run. */
export const DIALECTS: readonly SqlDialect[] = ['sqlite', 'postgres'];

/** A fresh, migrated database of one dialect. */
export interface TestDatabase {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** The settings it was opened with (e.g. to open a second connection). */
  settings: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
}

/**
 * Opens a new, empty, migrated database of `dialect`: a SQLite file in a temp dir, or a new
 * PostgreSQL database on the local server. `close()` destroys the connection and the data.
 */
export async function openTestDatabase(dialect: SqlDialect): Promise<TestDatabase & { close(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = createTempDir();
    const settings = { dialect, file: join(dir.path, 'test.sqlite') } as const;
    const { db } = await openMigratedDatabase(settings);
    return { db, dialect, settings, close: async () => (await db.destroy(), dir.remove()) };
  }
  const pg = await createTestPostgresDatabase();
  const settings = { dialect, url: pg.url } as const;
  const { db } = await openMigratedDatabase(settings).catch(async (err: unknown) => {
    await pg.drop();
    throw err;
  });
  return { db, dialect, settings, close: async () => (await db.destroy(), await pg.drop()) };
}

/**
 * Declares the same storage suite once per dialect (`<title> [sqlite]`, `<title> [postgres]`),
 * each on its own fresh migrated database opened in `beforeAll` and dropped in `afterAll`.
 * Call `database()` inside specs or hooks to get it; tests clean the tables they fill. A spec
 * of one dialect only is declared for it alone (`if (dialect === 'postgres') it(…)`), not
 * returned from early on the other (a spec that passes there without checking anything).
 *
 * @example
 * describeEachDialect('UsersRepository', (database) => {
 *   it('stores a user', async () => { const repo = new UsersRepository(database().db); … });
 * });
 */
export function describeEachDialect(title: string, body: (database: () => TestDatabase, dialect: SqlDialect) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${title} [${dialect}]`, () => {
      let current: (TestDatabase & { close(): Promise<void> }) | undefined;
      beforeAll(async () => {
        current = await openTestDatabase(dialect);
      });
      afterAll(async () => {
        await current?.close();
      });
      body(() => {
        if (!current) throw new Error(`The ${dialect} test database is not open (call database() inside a spec or hook)`);
        return current;
      }, dialect);
    });
  }
}

/** The names of the indexes on `table`, sorted (for the migrations' specs). */
export async function tableIndexes(db: Kysely<Database>, dialect: SqlDialect, table: string): Promise<string[]> {
  const rows =
    dialect === 'sqlite'
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = ${table}`.execute(db)).rows
      : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = ${table}`.execute(db)).rows;
  return rows.map((r) => r.name).sort();
}

/**
 * The plan the database chooses for `read` (a raw statement or a query builder), as text
 * (SQLite's `explain query plan` details, or PostgreSQL's `explain`, told that a scan of the
 * table is not the way, as at scale: the specs' tables are nearly empty).
 *
 * `generic`: the plan that does not rely on the parameters' values — a partial index whose
 * condition a parameter meets is then not chosen. PostgreSQL: the statement prepared and
 * planned without them (`plan_cache_mode = force_generic_plan`), as the app's named statements
 * run once PostgreSQL settles on a generic plan (`postgres-statements.ts`). SQLite: the
 * parameters bound to null; its planner does read bound values to prove a partial index's
 * condition, but a statement whose plan did is prepared again each time they are bound anew.
 */
export async function queryPlan(db: Kysely<Database>, dialect: SqlDialect, read: RawBuilder<unknown> | Compilable, { generic = false } = {}): Promise<string> {
  const { sql: text, parameters } = read.compile(db);
  const explain = (executor: Kysely<Database>, prefix: string) =>
    executor.executeQuery<Record<string, string>>(CompiledQuery.raw(`${prefix} ${text}`, dialect === 'sqlite' && generic ? parameters.map(() => null) : [...parameters]));
  if (dialect === 'sqlite') return (await explain(db, 'explain query plan')).rows.map((r) => r['detail']).join('\n');
  return db.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    if (!generic) return (await explain(trx, 'explain')).rows.map((r) => r['QUERY PLAN']).join('\n');
    await sql`set local plan_cache_mode = force_generic_plan`.execute(trx);
    await sql.raw(`prepare spec_generic_plan as ${text}`).execute(trx);
    try {
      const values = parameters.map((p) => (p === null ? 'null' : `'${String(p).replaceAll("'", "''")}'`));
      const plan = await sql.raw(`explain execute spec_generic_plan${values.length ? `(${values.join(', ')})` : ''}`).execute(trx);
      return (plan.rows as Record<string, string>[]).map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await sql`deallocate spec_generic_plan`.execute(trx);
    }
  });
}
