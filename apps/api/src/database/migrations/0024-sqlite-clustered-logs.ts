import { sql, SqliteAdapter, type Kysely, type RawBuilder } from 'kysely';
import { callEventsDefinition, rebuildCallEvents } from './0008-call-event-reconnections';

/**
 * SQLite stores the two logs a call setup appends to — the call's timeline (`call_events`, six
 * entries a call) and the agents' state changes (`agent_state_changes`, four or five a call) —
 * in the order they are read and appended by, without rowid: `call_events` keyed by `(call_id,
 * seq)`, `agent_state_changes` by `(agent_id, at, id)`. PostgreSQL is unchanged.
 *
 * Before, each was a rowid table keyed by the entry's `id` (a random UUID nothing reads) with
 * an index by call or agent: three B-trees per entry, two of them written at a random place.
 * A commit writes every page it changed to the WAL, and the `id` key's pages are a new random
 * one per entry: timed on a table of 24 000 entries, a commit of three entries took ~270 µs
 * with the `id` key and ~135 µs without. The `id` column stays (the schema both databases
 * share), unindexed; what was read on the secondary indexes (a call's timeline in order, the
 * next number of its timeline, the entries of the calls a retention run deletes, an agent's
 * changes) is read on the key. An entry still goes in at the place of its call or agent (a
 * random id): one such place per entry now, and the pages of a call in progress are the ones
 * its next entries change.
 *
 * The rebuild copies both tables, in key order, in the migrator's transaction (SQLite has one
 * writer: writes wait for it): 5 s for 200 000 seeded calls (1.1 M entries).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await db.schema.dropIndex(CALL_SEQ_INDEX).execute();
  await rebuildCallEvents(db, await eventTypeCheck(db), 'clustered');
  await db.schema.dropIndex(AGENT_AT_INDEX).execute();
  await rebuildFromDefinition(
    db,
    'agent_state_changes',
    (definition) => `${replaceOnce(definition, '"id" text primary key', '"id" text not null').replace(/\)\s*$/, '')}, ${AGENT_CHANGES_KEY}) without rowid`,
    sql`order by agent_id, at, id`,
  );
}

/** Puts back 0002's rowid tables keyed by `id`, with their indexes by call and by agent. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await rebuildCallEvents(db, await eventTypeCheck(db), 'rowid');
  await db.schema.createIndex(CALL_SEQ_INDEX).on('call_events').columns(['call_id', 'seq']).unique().execute();
  await rebuildFromDefinition(db, 'agent_state_changes', (definition) =>
    replaceOnce(replaceOnce(definition, '"id" text not null', '"id" text primary key'), `, ${AGENT_CHANGES_KEY}) without rowid`, ')'),
  );
  await db.schema.createIndex(AGENT_AT_INDEX).on('agent_state_changes').columns(['agent_id', 'at']).execute();
}

/** 0002's index of a call's timeline in order; the clustered table's key is the same. */
export const CALL_SEQ_INDEX = 'call_events_call_seq_idx';
/** 0002's index of an agent's changes by time; the clustered table's key starts the same. */
export const AGENT_AT_INDEX = 'agent_state_changes_agent_at_idx';
/** The clustered `agent_state_changes` key: an agent's changes in time order (`id` tells apart two of one millisecond). */
const AGENT_CHANGES_KEY = 'primary key ("agent_id", "at", "id")';

/** The CHECK on `call_events.type` as the table has it now (0008, 0012 and 0014 each set their list). */
async function eventTypeCheck(db: Kysely<unknown>) {
  const check = /check \((type in \([^)]*\))\)/.exec(await callEventsDefinition(db))?.[1];
  if (!check) throw new Error('call_events has no CHECK on its type as 0008 made it');
  return sql.raw(check);
}

/**
 * Makes SQLite's `table` again from its stored definition changed by `change` (what SQLite
 * cannot alter in place, e.g. its key), with its rows (copied in `order`) and its other indexes.
 */
async function rebuildFromDefinition(db: Kysely<unknown>, table: string, change: (definition: string) => string, order: RawBuilder<unknown> = sql``): Promise<void> {
  const stored = await sql<{ type: string; sql: string }>`select type, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(db);
  const definition = stored.rows.find((r) => r.type === 'table')?.sql;
  if (!definition) throw new Error(`no table ${table}`);
  const rebuilt = `${table}_rebuilt`;
  await sql.raw(replaceOnce(change(definition), `CREATE TABLE "${table}"`, `CREATE TABLE "${rebuilt}"`)).execute(db);
  // In `order` (the new key's): each row goes in at the end of the new table, not at a random place.
  await sql`insert into ${sql.table(rebuilt)} select * from ${sql.table(table)} ${order}`.execute(db);
  await sql`drop table ${sql.table(table)}`.execute(db);
  await sql`alter table ${sql.table(rebuilt)} rename to ${sql.table(table)}`.execute(db);
  for (const index of stored.rows.filter((r) => r.type === 'index')) await sql.raw(index.sql).execute(db);
}

/** `text` with `what` replaced by `by`; throws when `what` is not in it exactly once (a definition this migration does not know). */
function replaceOnce(text: string, what: string, by: string): string {
  const at = text.indexOf(what);
  if (at < 0 || text.indexOf(what, at + 1) >= 0) throw new Error(`expected ${what} once in ${text}`);
  return text.slice(0, at) + by + text.slice(at + what.length);
}
