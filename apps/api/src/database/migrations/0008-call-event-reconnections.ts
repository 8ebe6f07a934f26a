import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';

/**
 * The timeline's kinds of entry as of this migration (0002 checked the list of its day): two
 * more, `ice_restarted` (the network path of a connected call broke and the caller restarted
 * ICE) and `resumed` (a reloaded page took its call up again).
 */
export const CALL_EVENT_TYPES_0008 = [
  'queued',
  'offered',
  'missed',
  'declined',
  'accepted',
  'connected',
  'media_failed',
  'cancelled',
  'ended',
  'wrap_up_saved',
  'callback_requested',
  'ice_restarted',
  'resumed',
];

const TYPES_0002 = CALL_EVENT_TYPES_0008.slice(0, -2);

/** Widens the CHECK on `call_events.type` to {@link CALL_EVENT_TYPES_0008}. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await checkEventTypes(db, CALL_EVENT_TYPES_0008);
}

/** Narrows it back (entries of the new kinds are removed first). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from call_events where type in ('ice_restarted', 'resumed')`.execute(db);
  await checkEventTypes(db, TYPES_0002);
}

/** Sets the CHECK on `call_events.type` to `types` (PostgreSQL in place; SQLite rebuilds the table). */
export async function checkEventTypes(db: Kysely<unknown>, types: readonly string[]): Promise<void> {
  const check = sql`type in (${sql.join(types.map((t) => sql.lit(t)))})`;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table call_events drop constraint if exists call_events_type_check`.execute(db);
    await sql`alter table call_events add constraint call_events_type_check check (${check})`.execute(db);
    return;
  }
  await rebuildCallEvents(db, check, await callEventsLayout(db));
}

/**
 * How SQLite stores `call_events`: `rowid`, a table keyed by the entry's `id` with an index on
 * `(call_id, seq)` (0002); `clustered`, the entries stored in `(call_id, seq)` order, without
 * rowid, `id` a plain column (0024).
 */
export type CallEventsLayout = 'rowid' | 'clustered';

/** The layout `call_events` has now (SQLite). */
export async function callEventsLayout(db: Kysely<unknown>): Promise<CallEventsLayout> {
  return /without rowid\s*$/i.test(await callEventsDefinition(db)) ? 'clustered' : 'rowid';
}

/** SQLite's stored `create table` of `call_events` (empty if there is none). */
export async function callEventsDefinition(db: Kysely<unknown>): Promise<string> {
  const table = await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'call_events'`.execute(db);
  return table.rows[0]?.sql ?? '';
}

/**
 * Rebuilds SQLite's `call_events` with the CHECK `check` on its type, in `layout`: SQLite
 * cannot change a CHECK or a primary key in place, so the table is made again with the same
 * columns and secondary indexes (read back from sqlite_master), its rows copied in order.
 */
export async function rebuildCallEvents(db: Kysely<unknown>, check: RawBuilder<unknown>, layout: CallEventsLayout): Promise<void> {
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'call_events' and sql is not null`.execute(db);
  const clustered = layout === 'clustered';
  await sql`create table call_events_rebuilt (
    id text ${clustered ? sql`not null` : sql`primary key`},
    call_id text not null references calls (id) on delete cascade,
    seq integer not null,
    at text not null,
    type text not null check (${check}),
    actor_id text,
    actor_name text,
    detail text${clustered ? sql`,
    primary key (call_id, seq)
  ) without rowid` : sql`
  )`}`.execute(db);
  // In key order when clustered: each row goes in at the end of the new table, not at a random place.
  await sql`insert into call_events_rebuilt (id, call_id, seq, at, type, actor_id, actor_name, detail)
    select id, call_id, seq, at, type, actor_id, actor_name, detail from call_events${clustered ? sql` order by call_id, seq` : sql``}`.execute(db);
  await sql`drop table call_events`.execute(db);
  await sql`alter table call_events_rebuilt rename to call_events`.execute(db);
  for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
}
