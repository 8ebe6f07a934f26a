import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** The tables whose rows the ledger keeps between transactions on PostgreSQL. */
const VERSIONED = ['calls', 'agent_presence'] as const;

/**
 * PostgreSQL only: a `version` on each call and agent presence row, raised by one by a trigger
 * on every update of the row, whoever makes it (this node's ledger, another node, an operator's
 * SQL). The ledger keeps the rows its transactions wrote, with the version they left, and a
 * later transaction starts from that copy instead of reading the row again: one statement
 * (`version = <kept>`, sent with the transaction's next one) checks the copy is still the row,
 * and the transaction runs again on a fresh read when it is not (see `LedgerRows`). A new
 * column with a constant default costs no table rewrite; the trigger a few microseconds per
 * update. SQLite reads its rows in-process in microseconds: nothing to keep, no column.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`create or replace function sb_raise_row_version() returns trigger language plpgsql as $$
    begin
      new.version := old.version + 1;
      return new;
    end $$`.execute(db);
  for (const table of VERSIONED) {
    await sql`alter table ${sql.table(table)} add column version integer not null default 0`.execute(db);
    await sql`create trigger ${sql.raw(`${table}_version`)} before update on ${sql.table(table)} for each row execute function sb_raise_row_version()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const table of VERSIONED) {
    await sql`drop trigger ${sql.raw(`${table}_version`)} on ${sql.table(table)}`.execute(db);
    await sql`alter table ${sql.table(table)} drop column version`.execute(db);
  }
  await sql`drop function sb_raise_row_version()`.execute(db);
}
