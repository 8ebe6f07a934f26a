import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * `calls.poor_quality` (issue #11): 1 once a quality sample of the call crossed a warning
 * threshold, so the history's `quality=poor` reads the poor calls on indexes of their own
 * instead of asking `call_quality` about every call it walks. The quality recorder sets it in
 * the transaction that stores the call's first such sample (`CallQualityRecorder`); this
 * migration sets it for the calls whose summary already counts one.
 *
 * The indexes are partial (`where poor_quality = 1`): the same orders as the history's
 * indexes (0003's time, 0011's agent and outcome, 0016's callers for the student search, 0018's
 * sorts led by the outcome, with and without the agent), holding only the poor calls, so they are as small as those are few, cost
 * nothing when a call that is not poor is written, and a poor-quality page, its count and any
 * keyset page after it read a handful of their entries, with every filter and sort the page
 * offers. 0009's index on `warning_samples` goes: nothing reads by it any more.
 *
 * On PostgreSQL Kysely's migrator runs every pending migration in one transaction, so from
 * the column's addition to the commit `calls` is locked against reads and writes — about 10 s
 * at a million calls, for the index builds. Every step is written to find what is already
 * there, so with a big table an operator can do it all beforehand without stopping the desk
 * (then the migration finds it and takes a moment):
 * `alter table calls add column if not exists poor_quality integer not null default 0` (no
 * table rewrite: a constant default), the backfill below, then each index of
 * {@link POOR_INDEXES} `create index concurrently if not exists … where poor_quality = 1`.
 * The column's check (0 or 1) is added `not valid` there: new and changed rows are checked,
 * the existing ones (all 0 or set by the backfill) are not scanned under the lock.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table calls add column if not exists poor_quality integer not null default 0`.execute(db);
    await sql`alter table calls drop constraint if exists calls_poor_quality_check`.execute(db);
    await sql`alter table calls add constraint calls_poor_quality_check check (poor_quality in (0, 1)) not valid`.execute(db);
  } else {
    await db.schema
      .alterTable('calls')
      .addColumn('poor_quality', 'integer', (c) => c.notNull().defaultTo(0).check(sql`poor_quality in (0, 1)`))
      .execute();
  }
  await sql`update calls set poor_quality = 1 where poor_quality = 0 and id in (select call_id from call_quality where warning_samples > 0)`.execute(db);
  for (const [name, columns] of POOR_INDEXES) {
    await db.schema.createIndex(name).ifNotExists().on('calls').columns(columns).where(sql.ref('poor_quality'), '=', 1).execute();
  }
  await db.schema.dropIndex('call_quality_warning_samples_idx').ifExists().execute();
}

/** Drops the indexes and the column, and puts 0009's index back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('call_quality_warning_samples_idx').on('call_quality').column('warning_samples').execute();
  for (const [name] of POOR_INDEXES) await db.schema.dropIndex(name).execute();
  await db.schema.alterTable('calls').dropColumn('poor_quality').execute();
}

/** The partial indexes of the poor calls: each name with its columns. */
export const POOR_INDEXES: readonly (readonly [string, string[]])[] = [
  ['calls_poor_queued_at_id_idx', ['queued_at', 'id']],
  ['calls_poor_agent_queued_at_id_idx', ['agent_id', 'queued_at', 'id', 'outcome']],
  ['calls_poor_outcome_queued_at_id_idx', ['outcome', 'queued_at', 'id']],
  ['calls_poor_outcome_by_agent_sort_idx', ['outcome', 'agent_id', 'queued_at', 'id']],
  ['calls_poor_caller_search_idx', ['caller_id', 'caller_name', 'queued_at', 'id', 'agent_id', 'outcome']],
  ...['queue_ms', 'talk_ms', 'agent_name', 'caller_name'].flatMap((column): [string, string[]][] => [
    [`calls_poor_${column}_sort_idx`, ['outcome', column, 'queued_at', 'id']],
    [`calls_poor_${column}_by_agent_sort_idx`, ['outcome', 'agent_id', column, 'queued_at', 'id']],
  ]),
];
