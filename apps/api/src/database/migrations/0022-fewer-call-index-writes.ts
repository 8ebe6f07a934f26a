import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { buildPartialIndex, ENDED_CALLS } from './partial-indexes';

/**
 * Makes the call path cheaper on PostgreSQL by keeping the calls in progress out of the
 * history's sort indexes (issue #7).
 *
 * On PostgreSQL every update of a call that is not HOT — each move of its state is not: `state`
 * is indexed — adds an entry to every index of `calls` whose predicate the new row meets, and a
 * call setup writes about seven versions of its row. 0018's nine sort indexes held every call
 * from the moment it was queued; here they are rebuilt **partial, `where outcome is not null`**
 * (only ended calls, as 0021 did for the student search's), under new names (`…_ended_sort_idx`)
 * so that they can be built ahead, and 0018's are dropped. Setting a call up, ringing,
 * answering and connecting it then writes none of them; its entries appear when it ends. The
 * history's walks of an outcome (`outcome = ?`, which implies `outcome is not null`) read them
 * as before; the few calls in progress (`outcome is null`) are read through 0011's
 * `(outcome, queued_at, id)`, which stays whole, and sorted (`keysetRuns` in
 * `supervisor/call-queries.ts`).
 *
 * On both databases 0002's `(queued_at)` and `(agent_id, queued_at)` go: 0003's
 * `(queued_at, id)` and 0011's `(agent_id, queued_at, id, outcome)` start with the same columns
 * and serve every read they did, and each index is a write on the call path. And the indexes
 * of a column that is null for most of a call's life or of most calls — 0005's `answered_at`
 * (null until the call is answered; read only for the latest answered calls, `is not null`) and
 * 0012's `callback_id` (null but for callbacks; read by `=`, which implies `is not null`) —
 * become partial on the rows where it is set, under the same names.
 *
 * SQLite kept 0018's indexes whole here (it writes an index only when a column of it changes);
 * 0023 makes them partial there too.
 *
 * Kysely's migrator runs the migration in a transaction, so on PostgreSQL the builds lock
 * writes to `calls` while they run (about 50 s for the nine at a million calls on a loaded
 * 2-core machine). With a big table an operator can build them beforehand without stopping
 * writes, e.g. `create index concurrently if not exists calls_talk_ms_ended_sort_idx on calls
 * (outcome, talk_ms, queued_at, id) where outcome is not null` for each of
 * {@link ENDED_SORT_INDEXES}; the migration takes one only if it is valid and exactly that
 * index (`buildPartialIndex`), and otherwise fails, changing nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const [name, columns] of ENDED_SORT_INDEXES) await buildPartialIndex(db, { ...ENDED_CALLS, name, columns });
    for (const [name] of WHOLE_SORT_INDEXES) await db.schema.dropIndex(name).execute();
  }
  for (const [name] of PREFIX_INDEXES) await db.schema.dropIndex(name).execute();
  for (const column of SET_ONLY) {
    await db.schema.dropIndex(`calls_${column}_idx`).execute();
    await sql`create index ${sql.id(`calls_${column}_idx`)} on calls (${sql.ref(column)}) where ${sql.ref(column)} is not null`.execute(db);
  }
}

/** Puts 0002's, 0005's, 0012's and (PostgreSQL) 0018's indexes back as they were and drops the partial ones. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of SET_ONLY) {
    await db.schema.dropIndex(`calls_${column}_idx`).execute();
    await db.schema.createIndex(`calls_${column}_idx`).on('calls').column(column).execute();
  }
  for (const [name, columns] of PREFIX_INDEXES) await db.schema.createIndex(name).on('calls').columns(columns).execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const [name, columns] of WHOLE_SORT_INDEXES) await db.schema.createIndex(name).on('calls').columns(columns).execute();
    for (const [name] of ENDED_SORT_INDEXES) await db.schema.dropIndex(name).execute();
  }
}

/** 0018's sort indexes, each name with its columns: for each sort column by outcome, and by outcome and agent. */
export const WHOLE_SORT_INDEXES: readonly (readonly [string, string[]])[] = [
  ...['queue_ms', 'talk_ms', 'agent_name', 'caller_name'].flatMap((column): [string, string[]][] => [
    [`calls_${column}_sort_idx`, ['outcome', column, 'queued_at', 'id']],
    [`calls_${column}_by_agent_sort_idx`, ['outcome', 'agent_id', column, 'queued_at', 'id']],
  ]),
  ['calls_outcome_by_agent_sort_idx', ['outcome', 'agent_id', 'queued_at', 'id']],
];

/** The same sorts over the ended calls only (PostgreSQL here, SQLite from 0023): each name with its columns. */
export const ENDED_SORT_INDEXES: readonly (readonly [string, string[]])[] = WHOLE_SORT_INDEXES.map(([name, columns]) => [name.replace(/_sort_idx$/, '_ended_sort_idx'), columns]);

/** 0002's indexes that are prefixes of later ones. */
const PREFIX_INDEXES: readonly (readonly [string, string[]])[] = [
  ['calls_queued_at_idx', ['queued_at']],
  ['calls_agent_queued_at_idx', ['agent_id', 'queued_at']],
];

/** The columns whose index holds only the calls where they are set. */
export const SET_ONLY = ['answered_at', 'callback_id'] as const;
