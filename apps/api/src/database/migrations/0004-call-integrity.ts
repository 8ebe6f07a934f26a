import { sql, type Kysely } from 'kysely';

/**
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
  await db.schema.createIndex('calls_one_active_per_caller_idx').on('calls').column('caller_id').unique().where(sql.ref('state'), '<>', 'ended').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_one_active_per_caller_idx').execute();
}
