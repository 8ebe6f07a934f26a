import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Indexes for the supervisor's call history at a million calls (issue #11):
 * - each filter the page offers, in the page's order (queue time, then id) so a page and its
 *   keyset cursor read a handful of index entries: by agent (with the outcome, so agent +
 *   outcome pages and their capped counts read the index alone), by outcome;
 * - the student search (a substring of the caller's name or username) through an index built
 *   for it. SQLite: `calls_search`, an FTS5 table with the trigram tokenizer (rowid = the
 *   call's rowid, the caller's name and username), filled from the stored calls and kept in
 *   step by triggers. PostgreSQL: `pg_trgm` GIN indexes on the lower-cased caller name and on
 *   usernames.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_agent_queued_at_id_idx').on('calls').columns(['agent_id', 'queued_at', 'id', 'outcome']).execute();
  await db.schema.createIndex('calls_outcome_queued_at_id_idx').on('calls').columns(['outcome', 'queued_at', 'id']).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index calls_caller_name_trgm_idx on calls using gin (lower(caller_name) gin_trgm_ops)`.execute(db);
    await sql`create index users_username_trgm_idx on users using gin (username gin_trgm_ops)`.execute(db);
    return;
  }
  await createCallsSearch(db);
}

/** SQLite: `calls_search`, filled from the stored calls, and the triggers that keep it (also 0016's way back down). */
export async function createCallsSearch(db: Kysely<unknown>): Promise<void> {
  await sql`create virtual table calls_search using fts5(caller_name, username, tokenize = 'trigram')`.execute(db);
  await sql`insert into calls_search (rowid, caller_name, username)
    select calls.rowid, calls.caller_name, users.username from calls join users on users.id = calls.caller_id`.execute(db);
  await sql`create trigger calls_search_insert after insert on calls begin
    insert into calls_search (rowid, caller_name, username) values (new.rowid, new.caller_name, (select username from users where id = new.caller_id));
  end`.execute(db);
  await sql`create trigger calls_search_delete after delete on calls begin
    delete from calls_search where rowid = old.rowid;
  end`.execute(db);
  await sql`create trigger calls_search_update after update of caller_name, caller_id on calls begin
    update calls_search set caller_name = new.caller_name, username = (select username from users where id = new.caller_id) where rowid = old.rowid;
  end`.execute(db);
}

/** Drops the search index and the filter indexes. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop index users_username_trgm_idx`.execute(db);
    await sql`drop index calls_caller_name_trgm_idx`.execute(db);
  } else {
    for (const trigger of ['calls_search_insert', 'calls_search_delete', 'calls_search_update']) await sql`drop trigger ${sql.raw(trigger)}`.execute(db);
    await sql`drop table calls_search`.execute(db);
  }
  await db.schema.dropIndex('calls_outcome_queued_at_id_idx').execute();
  await db.schema.dropIndex('calls_agent_queued_at_id_idx').execute();
}
