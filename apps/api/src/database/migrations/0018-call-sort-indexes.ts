import type { Kysely } from 'kysely';

/**
 * Indexes for sorting the call history by a column other than queue time, so that a sorted
 * page — and the keyset page after any cursor, however deep — is a short walk along an index
 * instead of a sort of every matching call. The history reads each outcome's stretch of the
 * order on its own and merges them (`keysetRuns` in `supervisor/call-queries.ts`), so every
 * index leads with the outcome: a filter on outcomes is a set of exact ranges, and an outcome
 * with no talk time or no agent (abandoned calls) costs nothing instead of a walk through every
 * other call. Then, for each sort column (queue time, talk time, agent name, caller name):
 * - `(outcome, column, queued_at, id)`: the column's order with its tie-breakers;
 * - `(outcome, agent, column, queued_at, id)`: the same for one agent (the agent filter), whose
 *   calls would otherwise be a sixth — or, by agent name, one run — of each walk.
 * Sorting by outcome walks 0011's `(outcome, queued_at, id)`, or `(outcome, agent, queued_at,
 * id)` for one agent. Nulls (a call in progress has no talk time yet) are read as a stretch of
 * their own, ordered as the index holds them, in either direction.
 *
 * 0002's `(outcome, queued_at)` goes: 0011's index starts with the same columns.
 *
 * PostgreSQL builds these inside Kysely's migration transaction (every pending migration runs
 * in one, under its lock), so not `concurrently`: writes to `calls` wait until the builds end —
 * 50 s for the nine at a million calls on a loaded 2-core machine. With a big table, build them
 * first without stopping writes, the same definitions `concurrently` (the migration then finds
 * them: `if not exists`), e.g.
 * `create index concurrently if not exists calls_talk_ms_sort_idx on calls (outcome, talk_ms, queued_at, id)`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of SORTED_BY) {
    await db.schema.createIndex(`calls_${column}_sort_idx`).ifNotExists().on('calls').columns(['outcome', column, 'queued_at', 'id']).execute();
    await db.schema.createIndex(`calls_${column}_by_agent_sort_idx`).ifNotExists().on('calls').columns(['outcome', 'agent_id', column, 'queued_at', 'id']).execute();
  }
  await db.schema.createIndex('calls_outcome_by_agent_sort_idx').ifNotExists().on('calls').columns(['outcome', 'agent_id', 'queued_at', 'id']).execute();
  await db.schema.dropIndex('calls_outcome_queued_at_idx').execute();
}

/** Drops the indexes and puts 0002's outcome index back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_outcome_queued_at_idx').on('calls').columns(['outcome', 'queued_at']).execute();
  await db.schema.dropIndex('calls_outcome_by_agent_sort_idx').execute();
  for (const column of SORTED_BY) {
    await db.schema.dropIndex(`calls_${column}_sort_idx`).execute();
    await db.schema.dropIndex(`calls_${column}_by_agent_sort_idx`).execute();
  }
}

const SORTED_BY = ['queue_ms', 'talk_ms', 'agent_name', 'caller_name'] as const;
