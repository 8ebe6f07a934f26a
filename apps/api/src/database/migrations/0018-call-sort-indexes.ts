import type { Kysely } from 'kysely';

/**
 * Indexes for sorting the call history by a column other than queue time, so that a sorted
 * page — and the keyset page after any cursor, however deep — is a short walk along an index
 * that also holds the filters (agent, outcome) instead of a sort of every matching call:
 * - queue time, talk time, agent name, caller name: one index each, led by the outcome, then
 *   the column, then the tie-breakers (queue time, id) and the agent. The history reads each
 *   outcome's stretch on its own and merges them (`keysetRuns` in `supervisor/call-queries.ts`),
 *   so a filter on outcomes is a set of exact ranges, and an outcome with no talk time or agent
 *   (failed, abandoned calls) costs nothing instead of a walk through every other call's.
 *   Nulls are read as their own stretch, ordered as the index holds them, in either direction.
 * - agent name, for one agent (the agent filter): `(agent, agent name, queued_at, id, outcome)`.
 *   The agent's calls are one run of names among every agent's, so a walk of the outcome-led
 *   index above would pass every other agent's calls before them.
 * - outcome: `(outcome, queued_at, id, agent)`, so that the agent filter is checked on the
 *   index, not on each row. It replaces 0011's `(outcome, queued_at, id)` and 0002's
 *   `(outcome, queued_at)`: its prefix serves whatever they served.
 *
 * PostgreSQL builds these inside Kysely's migration transaction (every pending migration runs
 * in one), so not `concurrently`: writes to `calls` wait until the builds end (about a second
 * per index per 300 000 calls).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [name, column] of SORTED_BY) {
    await db.schema.createIndex(name).on('calls').columns(['outcome', column, 'queued_at', 'id', 'agent_id']).execute();
  }
  await db.schema.createIndex('calls_agent_name_by_agent_sort_idx').on('calls').columns(['agent_id', 'agent_name', 'queued_at', 'id', 'outcome']).execute();
  await db.schema.createIndex('calls_outcome_sort_idx').on('calls').columns(['outcome', 'queued_at', 'id', 'agent_id']).execute();
  await db.schema.dropIndex('calls_outcome_queued_at_id_idx').execute();
  await db.schema.dropIndex('calls_outcome_queued_at_idx').execute();
}

/** Drops the indexes and puts 0002's and 0011's outcome indexes back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_outcome_queued_at_idx').on('calls').columns(['outcome', 'queued_at']).execute();
  await db.schema.createIndex('calls_outcome_queued_at_id_idx').on('calls').columns(['outcome', 'queued_at', 'id']).execute();
  await db.schema.dropIndex('calls_outcome_sort_idx').execute();
  await db.schema.dropIndex('calls_agent_name_by_agent_sort_idx').execute();
  for (const [name] of SORTED_BY) await db.schema.dropIndex(name).execute();
}

const SORTED_BY = [
  ['calls_queue_ms_sort_idx', 'queue_ms'],
  ['calls_talk_ms_sort_idx', 'talk_ms'],
  ['calls_agent_name_sort_idx', 'agent_name'],
  ['calls_caller_name_sort_idx', 'caller_name'],
] as const;
