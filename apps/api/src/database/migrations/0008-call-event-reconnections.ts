import { type Kysely, PostgresAdapter, sql } from 'kysely';

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
  // SQLite cannot change a CHECK in place: the table is rebuilt with the same columns and
  // indexes (read back from sqlite_master), its rows copied in order.
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'call_events' and sql is not null`.execute(db);
  await sql`create table call_events_rebuilt (
    id text primary key,
    call_id text not null references calls (id) on delete cascade,
    seq integer not null,
    at text not null,
    type text not null check (${check}),
    actor_id text,
    actor_name text,
    detail text
  )`.execute(db);
  await sql`insert into call_events_rebuilt (id, call_id, seq, at, type, actor_id, actor_name, detail)
    select id, call_id, seq, at, type, actor_id, actor_name, detail from call_events`.execute(db);
  await sql`drop table call_events`.execute(db);
  await sql`alter table call_events_rebuilt rename to call_events`.execute(db);
  for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
}
