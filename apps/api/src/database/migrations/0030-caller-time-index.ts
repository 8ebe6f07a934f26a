import type { Kysely } from 'kysely';

/**
 * Drops 0002's `calls_caller_queued_at_idx` `(caller_id, queued_at)` on both databases (issue
 * #7: every index of `calls` is a write on the call path).
 *
 * Nothing reads calls by caller alone: the history's student filter and search read a
 * (caller, name) pair's calls on 0020's `calls_caller_sort_idx` `(caller_id, caller_name,
 * queued_at, id, …)`, which holds them in the same order; a caller's call in progress is found
 * on 0028's `calls_one_live_per_caller_idx`; and the foreign key to `users` (a user deleted)
 * finds a caller's calls on any index that starts with `caller_id`. 0022 dropped 0002's other
 * prefix indexes for the same reason and missed this one (not a strict prefix: the name sits
 * between). A call's caller is random among the students, so with many calls stored its entry
 * lands on a leaf of its own: on SQLite a page written to the WAL for each call placed; on
 * PostgreSQL an entry for each version of the row a call writes while in progress (not HOT).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex(CALLER_TIME_INDEX).execute();
}

/** Builds it again as 0002 did. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex(CALLER_TIME_INDEX).on('calls').columns(['caller_id', 'queued_at']).execute();
}

export const CALLER_TIME_INDEX = 'calls_caller_queued_at_idx';
