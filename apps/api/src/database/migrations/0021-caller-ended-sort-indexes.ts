import { PostgresAdapter, type Kysely } from 'kysely';
import { buildPartialIndex, ENDED_CALLS } from './partial-indexes';

/**
 * A student search sorted by wait, talk time, agent or outcome on PostgreSQL (issue #11): with
 * 0020 a student with 25 000 calls had all 25 000 entries of the caller index read and sorted
 * (top-N) for every page, 25–48 ms p95 at a million calls. These indexes hold each (caller,
 * name on the call) pair's calls by outcome and then in each sort's order, so the history reads
 * a page as one short walk per pair and outcome, merged (`keysetRuns`), like the other sorts:
 * - `(caller_id, caller_name, outcome, column, queued_at, id)` for wait, talk time and agent
 *   name, and `(caller_id, caller_name, outcome, queued_at, id)` for the outcome sort;
 * - `include (agent_id)`: the agent filter is checked on the entry, not on the table;
 * - **partial, `where outcome is not null`**: only ended calls. A call has no outcome until it
 *   ends, so setting it up, ringing, answering and connecting it writes none of these (on
 *   PostgreSQL every update that is not HOT adds an entry to every index whose predicate the new
 *   row meets); the few calls in progress are read on 0011/0018's indexes led by the outcome
 *   (`outcome is null`). The entries appear when the call ends and with its later updates
 *   (wrap-up).
 *
 * SQLite gets none: its student search reads the matching pairs' entries of the caller index
 * (FTS5 finds the pairs) and sorts them in ~9 ms for that student, within the goal, and every
 * index costs its call writes on the main thread.
 *
 * Kysely's migrator runs the migration in a transaction, so the builds lock writes to `calls`
 * while they run (a few seconds each at a million calls). An operator can build them beforehand
 * with `create index concurrently if not exists` and the definitions of {@link ENDED_CALLER_INDEXES}
 * (e.g. `create index concurrently if not exists calls_caller_talk_ms_sort_idx on calls
 * (caller_id, caller_name, outcome, talk_ms, queued_at, id) include (agent_id) where outcome is
 * not null`); the migration takes one only if it is valid and exactly that index, and
 * otherwise fails, changing nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [name, columns] of ENDED_CALLER_INDEXES) await buildPartialIndex(db, { ...ENDED_CALLS, name, columns, include: ['agent_id'] });
}

/** Drops the indexes. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  for (const [name] of ENDED_CALLER_INDEXES) await db.schema.dropIndex(name).execute();
}

/** The ended calls' caller indexes (PostgreSQL): each name with its key columns. */
export const ENDED_CALLER_INDEXES: readonly (readonly [string, readonly string[]])[] = [
  ...['queue_ms', 'talk_ms', 'agent_name'].map((column): [string, string[]] => [`calls_caller_${column}_sort_idx`, ['caller_id', 'caller_name', 'outcome', column, 'queued_at', 'id']]),
  ['calls_caller_outcome_sort_idx', ['caller_id', 'caller_name', 'outcome', 'queued_at', 'id']],
];
