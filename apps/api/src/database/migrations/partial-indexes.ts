import { sql, SqliteAdapter, type Kysely } from 'kysely';

/** A partial index a migration builds with {@link buildPartialIndex}. */
export interface PartialIndex {
  name: string;
  table: string;
  columns: readonly string[];
  /** Columns stored in the entries but not in the key (PostgreSQL only). */
  include?: readonly string[];
  /** The predicate as written in `create index … where`. */
  where: string;
  /** The same predicate as PostgreSQL prints it back (`pg_get_indexdef`), to check an index built ahead. */
  printed: string;
}

/** The ended calls (`calls` only): a call has no outcome until it ends. */
export const ENDED_CALLS = { table: 'calls', where: 'outcome is not null', printed: '(outcome IS NOT NULL)' } as const;

/**
 * Builds `index` (SQLite: plainly). On PostgreSQL, unless an index of that name is there already
 * — one an operator built ahead with `create index concurrently if not exists` and the same
 * definition, without stopping writes — and then requires it to be valid and exactly that index:
 * a migration that took an index of the right name with other columns, another predicate, on
 * another table or left invalid by a failed concurrent build would leave the reads it is for
 * without it. Otherwise it throws, and the migration's transaction rolls back what it built.
 */
export async function buildPartialIndex(db: Kysely<unknown>, index: PartialIndex): Promise<void> {
  const { name, table, columns, include = [], where, printed } = index;
  const key = sql.raw(columns.join(', '));
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create index ${sql.id(name)} on ${sql.table(table)} (${key}) where ${sql.raw(where)}`.execute(db);
    return;
  }
  const included = include.length ? ` include (${include.join(', ')})` : '';
  await sql`create index if not exists ${sql.id(name)} on ${sql.table(table)} (${key})${sql.raw(included)} where ${sql.raw(where)}`.execute(db);
  const { rows } = await sql<{ valid: boolean; definition: string }>`
    select i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relname = ${name} and pg_table_is_visible(c.oid) and i.indrelid = ${table}::regclass`.execute(db);
  const expected = `USING btree (${columns.join(', ')})${include.length ? ` INCLUDE (${include.join(', ')})` : ''} WHERE ${printed}`;
  if (!rows[0]?.valid || !rows[0].definition.endsWith(expected)) {
    throw new Error(`${name} is not the valid index on ${table} ${expected} (${rows[0]?.definition ?? 'missing'}${rows[0] && !rows[0].valid ? ', invalid' : ''}): drop it and migrate again`);
  }
}
