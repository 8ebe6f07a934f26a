import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Takes a call's `state` out of every index of `calls` (issue #7), so that on PostgreSQL the
 * moves of a call in progress that change nothing else indexed — ringing, connecting, going
 * back to the queue — are HOT updates: the new version of the row goes on the same page and no
 * index gets an entry, where each wrote one into each of the ~10 indexes whose predicate a call
 * in progress meets. With the changes that were HOT already when the row's page had room (a new
 * negotiation, the wrap-up saved; the table now keeps room for them), a call's life writes ~40
 * index entries instead of 60–95.
 *
 * "In progress" is read from `outcome is null` instead of `state <> 'ended'`: a call gets its
 * outcome in the move that ends it and only then (`LedgerTransaction.updateCall`), which
 * PostgreSQL now also checks (`calls_outcome_when_ended`, one comparison per row written; the
 * stored calls are checked once here). No call breaks that rule now; a database written by hand
 * or by an early version may hold one that does, and it is mended first: a call ended without
 * an outcome would count as in progress and keep its caller from calling, so it gets the
 * outcome `failed`, its part added to the roll-ups (which left it out: it had no outcome to
 * count under); a call in progress with an outcome (counted nowhere: the roll-ups hold ended
 * calls) loses it, so that it is seen in progress (0004's index allowed one per caller, as the
 * new one does). The reads of calls in progress by state keep that condition beside
 * `outcome is null`. So
 * - 0004's unique index of one call in progress per caller (`where state <> 'ended'`) becomes
 *   `calls_one_live_per_caller_idx` (`where outcome is null`);
 * - 0002's `(state)` goes: the reads of calls in progress by state (the queue, routing, the
 *   live metrics) also say `outcome is null` and find them first in 0011's
 *   `(outcome, queued_at, id)`;
 * - 0013's `(queued_at, state, outcome, queue_ms)` (the queue times of a part of a day's
 *   calls) becomes `calls_queued_at_outcome_idx` `(queued_at, outcome, queue_ms)`.
 *
 * PostgreSQL only: `calls` leaves 15 % of each page free (fillfactor 85; pages written from now
 * on), room for the versions HOT updates put beside a row. SQLite writes only the indexes of
 * the columns an update changes; it gets the same indexes, for the same reads.
 *
 * The mending, the check (PostgreSQL) and the index builds each read `calls` once in the
 * migration's transaction (about a second each at a million calls); on PostgreSQL the check's
 * `alter table` keeps every read and write of `calls` waiting until the migration commits.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await failEndedWithoutOutcome(db);
  await sql`update calls set outcome = null where state <> 'ended' and outcome is not null`.execute(db);
  if (postgres) await sql`alter table calls add constraint calls_outcome_when_ended check ((state = 'ended') = (outcome is not null))`.execute(db);
  await sql`create unique index calls_one_live_per_caller_idx on calls (caller_id) where outcome is null`.execute(db);
  await db.schema.dropIndex('calls_one_active_per_caller_idx').execute();
  await db.schema.dropIndex('calls_state_idx').execute();
  await db.schema.createIndex('calls_queued_at_outcome_idx').on('calls').columns(['queued_at', 'outcome', 'queue_ms']).execute();
  await db.schema.dropIndex('calls_queued_at_wait_idx').execute();
  if (postgres) await sql`alter table calls set (fillfactor = 85)`.execute(db);
}

/** Puts 0002's, 0004's and 0013's indexes back and drops the check and this one's indexes. */
export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) await sql`alter table calls reset (fillfactor)`.execute(db);
  await db.schema.createIndex('calls_queued_at_wait_idx').on('calls').columns(['queued_at', 'state', 'outcome', 'queue_ms']).execute();
  await db.schema.dropIndex('calls_queued_at_outcome_idx').execute();
  await db.schema.createIndex('calls_state_idx').on('calls').column('state').execute();
  await db.schema.createIndex('calls_one_active_per_caller_idx').on('calls').column('caller_id').unique().where(sql.ref('state'), '<>', 'ended').execute();
  await db.schema.dropIndex('calls_one_live_per_caller_idx').execute();
  if (postgres) await sql`alter table calls drop constraint calls_outcome_when_ended`.execute(db);
}

/**
 * Gives the stored calls that ended without an outcome the outcome `failed`, adding their part to
 * `call_rollups` as the ledger counts an ended call (0013's computation; `failed` has no queue
 * time histogram, and the missed offers of every ended call are counted already).
 */
async function failEndedWithoutOutcome(db: Kysely<unknown>): Promise<void> {
  const bucket = sql`substr(c.queued_at, 1, 14) || case when substr(c.queued_at, 15, 2) < '15' then '00' when substr(c.queued_at, 15, 2) < '30' then '15' when substr(c.queued_at, 15, 2) < '45' then '30' else '45' end || ':00.000Z'`;
  await sql`insert into call_rollups (bucket_start, outcome, calls, queue_ms, handled, handle_ms)
    select ${bucket}, 'failed', count(*), sum(coalesce(c.queue_ms, 0)),
           sum(case when c.talk_ms is null then 0 else 1 end), sum(case when c.talk_ms is null then 0 else c.talk_ms + coalesce(c.wrap_up_ms, 0) end)
    from calls c where c.state = 'ended' and c.outcome is null and c.direction = 'inbound'
    group by 1
    on conflict (bucket_start, outcome) do update set calls = call_rollups.calls + excluded.calls, queue_ms = call_rollups.queue_ms + excluded.queue_ms,
      handled = call_rollups.handled + excluded.handled, handle_ms = call_rollups.handle_ms + excluded.handle_ms`.execute(db);
  await sql`update calls set outcome = 'failed' where state = 'ended' and outcome is null`.execute(db);
}
