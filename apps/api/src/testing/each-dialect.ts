import { join } from 'node:path';
import { CompiledQuery, sql, type Compilable, type Kysely, type RawBuilder } from 'kysely';
import * as pg from 'pg';
import type { SqlDialect } from '../config/config';
import { openMigratedDatabase } from '../database/database';
import type { Database } from '../database/schema';
import { createTestPostgresDatabase } from './postgres';
import { createTempDir } from './temp-dir';

/** Every dialect the API supports, in the order the suites run. */
export const DIALECTS: readonly SqlDialect[] = ['sqlite', 'postgres'];

/** pg's conversion of a parameter to the text it sends (arrays, Dates, buffers, objects as JSON); @types/pg leaves `utils` out. */
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils;

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
 */
export async function queryPlan(db: Kysely<Database>, dialect: SqlDialect, read: RawBuilder<unknown> | Compilable, options: QueryPlanOptions = {}): Promise<string> {
  const { sql: text, parameters } = read.compile(db);
  const lines = (rows: readonly Record<string, unknown>[], column: string) => rows.map((r) => String(r[column])).join('\n');
  if (dialect === 'sqlite') {
    const values = options.generic ? parameters.map(() => null) : [...parameters];
    return lines((await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`explain query plan ${text}`, values))).rows, 'detail');
  }
  if (!options.generic) {
    return db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      return lines((await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`explain ${text}`, [...parameters]))).rows, 'QUERY PLAN');
    });
  }
  // A prepared statement belongs to the connection, not to a transaction: prepared, explained
  // and deallocated on one connection, its settings put back whatever fails.
  return db.connection().execute(async (connection) => {
    let prepared = false;
    try {
      await sql`set enable_seqscan = off`.execute(connection);
      await sql`set plan_cache_mode = force_generic_plan`.execute(connection);
      await sql.raw(`prepare spec_generic_plan as ${text}`).execute(connection);
      prepared = true;
      // EXECUTE takes no bound parameters: the values are written into it, as pg would send them.
      const values = parameters.map((p) => {
        const value = prepareValue(p);
        return value === null ? 'null' : pg.escapeLiteral(String(value));
      });
      const plan = await sql.raw(`explain execute spec_generic_plan${values.length ? `(${values.join(', ')})` : ''}`).execute(connection);
      return lines(plan.rows as Record<string, unknown>[], 'QUERY PLAN');
    } finally {
      if (prepared) await sql`deallocate spec_generic_plan`.execute(connection);
      await sql`reset plan_cache_mode`.execute(connection);
      await sql`reset enable_seqscan`.execute(connection);
    }
  });
}

/** How {@link queryPlan} plans. */
export interface QueryPlanOptions {
  /**
   * Whether the plan must not rely on the parameters' values, as a statement prepared once and
   * run with any values: a partial index whose condition a parameter meets is then not chosen.
   * PostgreSQL: the statement prepared and planned without them (`plan_cache_mode =
   * force_generic_plan`), the plan the app's named statements (`postgres-statements.ts`) get
   * once PostgreSQL prefers a generic plan, from their sixth run. SQLite: the parameters bound
   * to null — its planner does read bound values to prove a partial index's condition, and then
   * prepares the statement again each time those parameters are bound anew.
   */
  generic?: boolean;
}
