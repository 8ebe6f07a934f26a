import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { createCallsSearch } from './0011-call-history-search';

/**
 * The student search of the call history reads the callers, not the calls: `call_callers`
 * holds each (caller id, name on the call) pair once — a few thousand rows however many
 * calls — kept by a trigger on `calls` (added with the first call of a pair; retention removes
 * a pair once no stored call has it, so a name deleted with its calls is not kept here). A search finds the matching pairs through a trigram index of their own,
 * then those callers' calls on `calls_caller_search_idx` — by caller and name, holding what
 * the page's keys, counts and agent and outcome filters read, so only the page's rows are read
 * from the table — so its cost follows the matching students' calls, not the table (0011
 * searched a trigram index of every call, whose lists grow with the table: 32 ms p50 / 49 ms
 * p95 for a name at a million calls).
 * - SQLite: `call_callers_search`, FTS5 trigram of each pair's name and its caller's username
 *   (rowid = the pair's), kept by triggers on `call_callers` (insert, delete) and on usernames. It replaces
 *   0011's `calls_search` (dropped, with its triggers: one trigram index less per call written).
 * - PostgreSQL: a `pg_trgm` GIN index on the pairs' lower-cased names; usernames keep 0011's
 *   index. It replaces 0011's index on every call's name.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_caller_search_idx').on('calls').columns(['caller_id', 'caller_name', 'queued_at', 'id', 'agent_id', 'outcome']).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create table call_callers (caller_id text not null, caller_name text not null, primary key (caller_id, caller_name))`.execute(db);
    await sql`insert into call_callers (caller_id, caller_name) select distinct caller_id, caller_name from calls`.execute(db);
    await sql`create index call_callers_name_trgm_idx on call_callers using gin (lower(caller_name) gin_trgm_ops)`.execute(db);
    await sql`create function call_callers_keep() returns trigger language plpgsql as $$
      begin
        insert into call_callers (caller_id, caller_name) values (new.caller_id, new.caller_name) on conflict do nothing;
        return null;
      end $$`.execute(db);
    await sql`create trigger call_callers_keep after insert or update of caller_id, caller_name on calls for each row execute function call_callers_keep()`.execute(db);
    await sql`drop index calls_caller_name_trgm_idx`.execute(db);
    return;
  }
  await sql`create table call_callers (caller_id text not null, caller_name text not null)`.execute(db);
  await sql`create unique index call_callers_pair_idx on call_callers (caller_id, caller_name)`.execute(db);
  await sql`create virtual table call_callers_search using fts5(caller_name, username, tokenize = 'trigram')`.execute(db);
  await sql`create trigger call_callers_search_insert after insert on call_callers begin
    insert into call_callers_search (rowid, caller_name, username) values (new.rowid, new.caller_name, (select username from users where id = new.caller_id));
  end`.execute(db);
  await sql`create trigger call_callers_search_delete after delete on call_callers begin
    delete from call_callers_search where rowid = old.rowid;
  end`.execute(db);
  await sql`create trigger call_callers_username after update of username on users begin
    update call_callers_search set username = new.username where rowid in (select rowid from call_callers where caller_id = new.id);
  end`.execute(db);
  await sql`insert or ignore into call_callers (caller_id, caller_name) select caller_id, caller_name from calls`.execute(db);
  for (const event of ['insert', 'update of caller_id, caller_name']) {
    await sql`create trigger ${sql.raw(`call_callers_on_call_${event.split(' ')[0]}`)} after ${sql.raw(event)} on calls begin
      insert or ignore into call_callers (caller_id, caller_name) values (new.caller_id, new.caller_name);
    end`.execute(db);
  }
  for (const trigger of ['calls_search_insert', 'calls_search_delete', 'calls_search_update']) await sql`drop trigger ${sql.raw(trigger)}`.execute(db);
  await sql`drop table calls_search`.execute(db);
}

/** Puts 0011's search indexes back (rebuilt from the calls) and drops the callers. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_caller_search_idx').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create index calls_caller_name_trgm_idx on calls using gin (lower(caller_name) gin_trgm_ops)`.execute(db);
    await sql`drop trigger call_callers_keep on calls`.execute(db);
    await sql`drop function call_callers_keep()`.execute(db);
    await sql`drop table call_callers`.execute(db);
    return;
  }
  for (const trigger of ['call_callers_on_call_insert', 'call_callers_on_call_update', 'call_callers_username', 'call_callers_search_insert', 'call_callers_search_delete']) await sql`drop trigger ${sql.raw(trigger)}`.execute(db);
  await sql`drop table call_callers_search`.execute(db);
  await sql`drop table call_callers`.execute(db);
  await createCallsSearch(db);
}
