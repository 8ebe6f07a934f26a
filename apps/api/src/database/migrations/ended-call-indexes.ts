import { sql, type Kysely } from 'kysely';

/**
 * Builds `name` on `calls` as a partial index of the ended calls (`where outcome is not null`,
 * PostgreSQL) unless an index of that name is there already — one an operator built ahead with
 * `create index concurrently if not exists` and the same definition, without stopping writes —
 * and then requires it to be valid and exactly that index: a migration that took an index of
 * the right name with other columns, no predicate, on another table or left invalid by a failed
 * concurrent build would leave the history reading without it. Otherwise it throws, and the
 * migration's transaction rolls back what it built.
 */
export async function buildEndedCallsIndex(db: Kysely<unknown>, name: string, columns: readonly string[], include: readonly string[] = []): Promise<void> {
  const included = include.length ? ` include (${include.join(', ')})` : '';
  await sql`create index if not exists ${sql.id(name)} on calls (${sql.raw(columns.join(', '))})${sql.raw(included)} where outcome is not null`.execute(db);
  const { rows } = await sql<{ valid: boolean; definition: string }>`
    select i.indisvalid as valid, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where c.relname = ${name} and pg_table_is_visible(c.oid) and i.indrelid = 'calls'::regclass`.execute(db);
  const expected = `USING btree (${columns.join(', ')})${include.length ? ` INCLUDE (${include.join(', ')})` : ''} WHERE (outcome IS NOT NULL)`;
  if (!rows[0]?.valid || !rows[0].definition.endsWith(expected)) {
    throw new Error(`${name} is not the valid index on calls ${expected} (${rows[0]?.definition ?? 'missing'}${rows[0] && !rows[0].valid ? ', invalid' : ''}): drop it and migrate again`);
  }
}
