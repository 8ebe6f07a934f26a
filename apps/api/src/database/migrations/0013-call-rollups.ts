import { PostgresAdapter, sql, type Kysely } from 'kysely';

/** Kinds of deadline as of 0002. */
const DEADLINE_KINDS_0002 = ['ring_timeout', 'max_wait', 'media_timeout', 'wrap_up_end', 'presence_grace'];
/** And the daily retention pass (RETENTION_MONTHS). */
export const DEADLINE_KINDS_0013 = [...DEADLINE_KINDS_0002, 'retention'];

/**
 * Roll-ups of the ended calls, so supervisor metrics for any period read a few thousand rows
 * instead of every call: per quarter hour and outcome (counts and duration sums), per UTC day,
 * outcome and queue second (the service level's and short abandons' histogram), per quarter
 * hour and agent (missed offers). The ledger keeps them in the transaction that changes a
 * call; here they are backfilled from the calls already stored. An index covering queue time,
 * state, outcome and queue duration serves the parts of a period shorter than a day.
 *
 * Retention (RETENTION_MONTHS) deletes old calls but keeps their roll-ups: a `retention`
 * deadline kind for its daily pass, and `retention_runs`, the audit of every pass.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('call_rollups')
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addColumn('queue_ms', 'bigint', (c) => c.notNull())
    .addColumn('handled', 'integer', (c) => c.notNull())
    .addColumn('handle_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_rollups_pk', ['bucket_start', 'outcome'])
    .execute();
  await db.schema
    .createTable('call_wait_rollups')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('wait_s', 'integer', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_wait_rollups_pk', ['day', 'outcome', 'wait_s'])
    .execute();
  await db.schema
    .createTable('call_missed_rollups')
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('agent_name', 'text', (c) => c.notNull())
    .addColumn('missed', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_missed_rollups_pk', ['bucket_start', 'agent_id'])
    .execute();
  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('months', 'integer', (c) => c.notNull())
    .addColumn('cutoff', 'text', (c) => c.notNull())
    .addColumn('calls_deleted', 'integer', (c) => c.notNull())
    .addColumn('events_deleted', 'integer', (c) => c.notNull())
    .addColumn('callbacks_deleted', 'integer', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull())
    .execute();
  await checkDeadlineKinds(db, DEADLINE_KINDS_0013);
  await db.schema.createIndex('calls_queued_at_wait_idx').on('calls').columns(['queued_at', 'state', 'outcome', 'queue_ms']).execute();
  await backfill(db);
}

/**
 * The roll-ups of the calls stored when the migration runs, as `rebuildRollups` computed them
 * when 0013 was written: a migration is frozen, later changes to the application's roll-ups
 * must not change what 0013 did (its spec checks that the two agree: a change to what
 * `rebuildRollups` computes comes with a migration that rebuilds the stored roll-ups). The tables are new, so
 * every call counts: no period to clear or bound. Quarter hours and days are cut from the ISO
 * text of `queued_at`; queue times in whole seconds rounded up, anything above an hour as 3601;
 * outbound calls (callbacks) never waited in the queue and count in no figure.
 */
async function backfill(db: Kysely<unknown>): Promise<void> {
  const bucket = sql`substr(c.queued_at, 1, 14) || case when substr(c.queued_at, 15, 2) < '15' then '00' when substr(c.queued_at, 15, 2) < '30' then '15' when substr(c.queued_at, 15, 2) < '45' then '30' else '45' end || ':00.000Z'`;
  const ended = sql`c.state = 'ended' and c.direction = 'inbound'`;
  await sql`insert into call_rollups (bucket_start, outcome, calls, queue_ms, handled, handle_ms)
    select ${bucket}, c.outcome, count(*), sum(coalesce(c.queue_ms, 0)),
           sum(case when c.talk_ms is null then 0 else 1 end), sum(case when c.talk_ms is null then 0 else c.talk_ms + coalesce(c.wrap_up_ms, 0) end)
    from calls c where ${ended} and c.outcome is not null
    group by 1, c.outcome`.execute(db);
  await sql`insert into call_wait_rollups (day, outcome, wait_s, calls)
    select substr(c.queued_at, 1, 10) || 'T00:00:00.000Z', c.outcome,
           case when coalesce(c.queue_ms, 0) > 3600000 then 3601 else (coalesce(c.queue_ms, 0) + 999) / 1000 end, count(*)
    from calls c where ${ended} and c.outcome in ('answered', 'abandoned', 'short_abandon')
    group by 1, c.outcome, 3`.execute(db);
  await sql`insert into call_missed_rollups (bucket_start, agent_id, agent_name, missed)
    select ${bucket}, e.actor_id, coalesce(min(e.actor_name), e.actor_id), count(*)
    from call_events e join calls c on c.id = e.call_id
    where ${ended} and e.type = 'missed' and e.actor_id is not null
    group by 1, e.actor_id`.execute(db);
}

/** Drops the roll-ups, the index and the retention audit; narrows the deadline kinds back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from deadlines where kind = 'retention'`.execute(db);
  await checkDeadlineKinds(db, DEADLINE_KINDS_0002);
  await db.schema.dropTable('retention_runs').execute();
  await db.schema.dropIndex('calls_queued_at_wait_idx').execute();
  await db.schema.dropTable('call_missed_rollups').execute();
  await db.schema.dropTable('call_wait_rollups').execute();
  await db.schema.dropTable('call_rollups').execute();
}

async function checkDeadlineKinds(db: Kysely<unknown>, kinds: readonly string[]): Promise<void> {
  const check = sql`kind in (${sql.join(kinds.map((k) => sql.lit(k)))})`;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table deadlines drop constraint if exists deadlines_kind_check`.execute(db);
    await sql`alter table deadlines add constraint deadlines_kind_check check (${check})`.execute(db);
    return;
  }
  // SQLite cannot change a CHECK in place: the table is rebuilt (as 0008 does call_events).
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'deadlines' and sql is not null`.execute(db);
  await sql`create table deadlines_rebuilt (
    id text primary key,
    kind text not null check (${check}),
    subject_id text not null,
    due_at text not null,
    claimed_by text,
    claimed_at text,
    constraint deadlines_kind_subject_unique unique (kind, subject_id)
  )`.execute(db);
  await sql`insert into deadlines_rebuilt (id, kind, subject_id, due_at, claimed_by, claimed_at) select id, kind, subject_id, due_at, claimed_by, claimed_at from deadlines`.execute(db);
  await sql`drop table deadlines`.execute(db);
  await sql`alter table deadlines_rebuilt rename to deadlines`.execute(db);
  for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
}
