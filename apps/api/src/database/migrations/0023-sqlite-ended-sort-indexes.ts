import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { ENDED_SORT_INDEXES, WHOLE_SORT_INDEXES } from './0022-fewer-call-index-writes';

/**
 * Keeps the calls in progress out of the history's sort indexes on SQLite too (issue #7), as
 * 0022 did on PostgreSQL: eight of 0018's nine indexes are rebuilt **partial, `where outcome
 * is not null`**, under 0022's names (`…_ended_sort_idx`). PostgreSQL has them already: nothing
 * changes there.
 *
 * SQLite writes an index only when a column of it changes, but every one of these leads with
 * the outcome and holds the agent, the queue or talk time or a name, so a call wrote them all
 * when it was queued and again when it was answered, and moved each entry when it ended. Timed
 * statement by statement on a migrated database with 20 000 calls (the queueing insert, ring,
 * answer, connect and end of each call), the call's writes took ~290–360 µs with them whole
 * and ~180–230 µs with all nine partial (~200 µs with the eight made partial here), the insert
 * alone 150–185 µs against 57–73 µs; with these partial a call writes them once, when it ends. SQLite reads a partial index for a condition
 * that implies its predicate: the history's walks of one outcome (`outcome = ?`) read them as
 * before, and the walk of the calls in progress (`outcome is null`, as few as are in flight)
 * reads 0011's `(outcome, queued_at, id)` and sorts them (`keysetRuns` in
 * `supervisor/call-queries.ts`), as on PostgreSQL. One agent's calls in progress are read on
 * `(outcome, agent_id, queued_at, id)`, which stays whole for them: SQLite cannot know that
 * few calls have no outcome, and without it would walk all of the agent's calls of the period
 * on 0011's `(agent_id, queued_at, id, outcome)` to find them (PostgreSQL's statistics tell it).
 *
 * The builds read the whole table, in the migration's transaction (SQLite has one writer:
 * writes wait for them): 15 s for the eight at a million calls here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const [whole, ended, columns] of SQLITE_ENDED) {
    await sql`create index ${sql.id(ended)} on calls (${sql.join(columns.map((c) => sql.ref(c)))}) where outcome is not null`.execute(db);
    await db.schema.dropIndex(whole).execute();
  }
}

/** Puts 0018's whole indexes back on SQLite and drops the partial ones. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const [whole, ended, columns] of SQLITE_ENDED) {
    await db.schema.createIndex(whole).on('calls').columns([...columns]).execute();
    await db.schema.dropIndex(ended).execute();
  }
}

/** 0018's index that SQLite keeps whole: one agent's calls in progress are read on it. */
export const KEPT_WHOLE = 'calls_outcome_by_agent_sort_idx';

/** The indexes made partial on SQLite: 0018's name, 0022's and the columns (0022 names them in 0018's order). */
export const SQLITE_ENDED: readonly (readonly [string, string, readonly string[]])[] = WHOLE_SORT_INDEXES.map(([name, columns], i): [string, string, string[]] => [name, ENDED_SORT_INDEXES[i][0], columns]).filter(
  ([name]) => name !== KEPT_WHOLE,
);
