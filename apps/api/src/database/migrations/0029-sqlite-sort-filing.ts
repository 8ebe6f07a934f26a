import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { SQLITE_ENDED } from './0023-sqlite-ended-sort-indexes';
import { buildPartialIndex, ENDED_CALLS } from './partial-indexes';

/**
 * SQLite files an ended call into the history's sort indexes in a background pass instead of
 * in the move that ends it (issue #7: a call setup must not cost more with a million calls stored).
 *
 * 0023's eight sort indexes of the ended calls are keyed by an agent, a name, a wait or a talk
 * time: in a small table the calls of one commit share their leaves, but with a million calls
 * each call's entry lands on a leaf of its own, and the commit that ends it writes that leaf
 * (4 KiB) to the WAL for each index — most of what made a setup ~40 % dearer there. A call that
 * ends now gets `sort_pending = 1` with its outcome (`LedgerTransaction.updateCall`) and is in
 * none of them: they are rebuilt here `where outcome is not null and sort_pending = 0`. Every
 * 10 s `HistoryFiling` clears the flag of the calls ended meanwhile, 200 per statement: the
 * index writes leave the call's own commit for that pass (with hundreds of agents and
 * students, 200 calls rarely share a leaf: the work is moved out of the call path, not made
 * smaller). Until then
 * the history reads them on `calls_sort_pending_idx` `(sort_pending, outcome, queued_at, id)`
 * and `calls_sort_pending_by_agent_idx` `(sort_pending, outcome, agent_id, queued_at, id)`,
 * both `where sort_pending = 1` (as few as ended in those seconds), and sorts them beside each
 * walk of the filed ones (`keysetRuns`): the pages are the same, filed or not.
 *
 * The column is added on PostgreSQL too (one schema for both; no rewrite, a default), where it
 * stays 0: PostgreSQL's indexes and reads are unchanged. The calls stored before this are filed
 * (0). The eight builds read the whole table in the migration's transaction (not timed at a
 * million calls; 0023's builds of the same eight took 15 s).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table calls add column sort_pending integer not null default 0`.execute(db);
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  for (const [, ended, columns] of SQLITE_ENDED) {
    await db.schema.dropIndex(ended).execute();
    await buildPartialIndex(db, { table: 'calls', name: ended, columns, where: FILED, printed: FILED });
  }
  // Led by the flag (an equality, as the reads write it), then the outcome (and the agent):
  // one more equal column than any other index of `calls` offers a walk of one outcome (of one
  // agent's), with or without a period, so SQLite (no statistics) takes them for the calls not
  // filed — not 0011's `(outcome, queued_at, id)` or the whole `(outcome, agent_id, queued_at,
  // id)`, with a look-up of each call of the outcome (of the agent's) in the period.
  for (const [name, columns] of SORT_PENDING_INDEXES) await buildPartialIndex(db, { table: 'calls', name, columns, where: 'sort_pending = 1', printed: 'sort_pending = 1' });
}

/** Puts 0023's indexes back (every ended call in them again) and drops the column. */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const [name] of SORT_PENDING_INDEXES) await db.schema.dropIndex(name).execute();
    for (const [, ended, columns] of SQLITE_ENDED) {
      await db.schema.dropIndex(ended).execute();
      await buildPartialIndex(db, { ...ENDED_CALLS, name: ended, columns });
    }
  }
  await sql`alter table calls drop column sort_pending`.execute(db);
}

/** The predicate of SQLite's sort indexes of the ended calls: those already filed. */
export const FILED = 'outcome is not null and sort_pending = 0';

/** The ended calls not yet filed into the sort indexes (SQLite): of an outcome, and of an outcome and an agent. */
export const SORT_PENDING_INDEXES: readonly (readonly [string, readonly string[]])[] = [
  ['calls_sort_pending_idx', ['sort_pending', 'outcome', 'queued_at', 'id']],
  ['calls_sort_pending_by_agent_idx', ['sort_pending', 'outcome', 'agent_id', 'queued_at', 'id']],
];
