import { sql, type Kysely } from 'kysely';

/**
 * Held signaling keeps its arrival order: `call_signals.seq`, numbered per call (unique with
 * the call id), since `created_at` has only millisecond resolution and a burst of candidates
 * shares one millisecond. Rows held before this migration are numbered by (created_at,
 * message_id).
 *
 * One active call per caller, enforced by the database: a partial unique index on
 * calls(caller_id) over calls that are not over, so two tabs (or nodes) placing a call at once
 * cannot both win (`requestCall` maps the violation to `conflict`). Duplicates left by the old
 * check-then-insert are ended first (the newest call stays): abandoned if still waiting,
 * failed if an agent had it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const now = new Date().toISOString();
  await sql`update calls
    set state = 'ended',
        outcome = case when state in ('queued', 'ringing') then 'abandoned' else 'failed' end,
        end_reason = case when state in ('queued', 'ringing') then 'caller_left' else 'disconnected' end,
        ended_by = 'system', ended_at = ${now}, ringing_agent_id = null, rings_out_at = null
    where state <> 'ended' and exists (
      select 1 from calls newer
      where newer.caller_id = calls.caller_id and newer.state <> 'ended'
        and (newer.queued_at > calls.queued_at or (newer.queued_at = calls.queued_at and newer.id > calls.id)))`.execute(db);
  await db.schema.alterTable('call_signals').addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update call_signals set seq = (
      select count(*) from call_signals earlier
      where earlier.call_id = call_signals.call_id
        and (earlier.created_at < call_signals.created_at or (earlier.created_at = call_signals.created_at and earlier.message_id <= call_signals.message_id)))`.execute(db);
  await db.schema.createIndex('call_signals_call_seq_idx').on('call_signals').columns(['call_id', 'seq']).unique().execute();
  await db.schema.createIndex('calls_one_active_per_caller_idx').on('calls').column('caller_id').unique().where(sql.ref('state'), '<>', 'ended').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_one_active_per_caller_idx').execute();
  await db.schema.dropIndex('call_signals_call_seq_idx').execute();
  await db.schema.alterTable('call_signals').dropColumn('seq').execute();
}
