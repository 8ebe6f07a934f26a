import { sql, SqliteAdapter, type Compilable, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { CALL_OUTCOMES, type CallFilters, type CallOutcome, type CallRecord, type CallSortKey, type CallTimelineEvent, type SortDirection } from '@switchboard/call-domain';
import type { SqlDialect } from '../config/config';
import type { CallEventsTable, CallRow, Database } from '../database/schema';

/** The column each sort key orders by, and whether it can be null (nulls always sort last). */
export const SORT_COLUMNS: Readonly<Record<CallSortKey, { column: keyof CallRow; nullable: boolean }>> = {
  queuedAt: { column: 'queued_at', nullable: false },
  queueSeconds: { column: 'queue_ms', nullable: true },
  talkSeconds: { column: 'talk_ms', nullable: true },
  outcome: { column: 'outcome', nullable: true },
  agentName: { column: 'agent_name', nullable: true },
  callerName: { column: 'caller_name', nullable: false },
};

/**
 * `query` ordered by the sort column (nulls last either way), then queue time, then id, all
 * in `dir`: a total order, so pages never overlap and a keyset cursor ({@link keysetRuns})
 * resumes exactly where it stopped. As one query it sorts every match unless the sort is by
 * time; pages and exports read it as {@link keysetRuns}, older clients' OFFSET pages this way.
 */
export function inCallOrder<O>(query: SelectQueryBuilder<Database, 'calls', O>, sort: CallSortKey, dir: SortDirection): SelectQueryBuilder<Database, 'calls', O> {
  const { column, nullable } = SORT_COLUMNS[sort];
  let ordered = query.orderBy(`calls.${column}`, (ob) => (nullable ? ob[dir]().nullsLast() : ob[dir]()));
  if (column !== 'queued_at') ordered = ordered.orderBy('calls.queued_at', dir);
  return ordered.orderBy('calls.id', dir);
}

/** Where a keyset page starts: the sort column's value, queue time and id of the row before it. */
export type CallCursor = Pick<CallRow, 'queued_at' | 'id'> & Partial<CallRow>;

/** Where a page of {@link keysetRuns} starts, and which way it reads. */
export interface KeysetStart {
  /** The row the page comes after (before, with `reverse`); the start of the order without one. */
  cursor?: CallCursor;
  /** Whether the page reads the order backwards from the cursor (a previous page). */
  reverse?: boolean;
  /** The outcomes to read as separate index walks, merged ({@link outcomeStreams}); none: one walk. */
  outcomes?: readonly (CallOutcome | null)[];
  /**
   * The (caller, name) pairs to read as separate walks of the caller index, merged
   * ({@link searchedCallers}): `query` then leaves the student search out. With `outcomes`
   * too (a sort by another column than time), one walk per pair and outcome.
   */
  callers?: readonly CallerPair[];
  /**
   * The page's filters ({@link callFilters}), written after the cursor's condition in each
   * walk rather than in `query`: SQLite starts a walk at the first of two lower bounds of the
   * queue time it finds (a period's start and the cursor's, on a stretch whose sort value is
   * null), and the cursor's is where the page starts; the period's would read from there.
   */
  filters?: (eb: ExpressionBuilder<Database, 'calls'>) => Expression<SqlBool>;
  /**
   * Whether the page holds the poor calls only (`quality=poor`): read on their own indexes
   * (0019), which hold every ended poor call, filed or not (SQLite, 0029), in one walk per outcome.
   */
  poor?: boolean;
}

/** One (caller, name on the call) pair of `call_callers`. */
export type CallerPair = Pick<CallRow, 'caller_id' | 'caller_name'>;

/** One query of {@link keysetRuns}: its first `limit` rows. */
export type KeysetRun<O> = (limit: number) => SelectQueryBuilder<Database, 'calls', O>;

/**
 * The queries that read, one after the other, the rows after the cursor (before it with
 * `reverse`; from the start without one) in the order of {@link inCallOrder}: each is `query`
 * restricted to one stretch of that order and ordered as one walk along an index, so a page
 * is the first rows of the first run, then of the next while it is short ({@link readRuns}),
 * at the same cost however deep the cursor.
 *
 * A sort column that can be null has two stretches, its values then its nulls (nulls last
 * either way), each ordered by the column, queue time and id as the ascending index of
 * migration 0018 holds them, walked in either direction: one `nulls last` order would take a
 * sort on SQLite and an index per direction on PostgreSQL. Positions are compared as row
 * values, `(column, queued_at, id) > (…)`, which both databases read as an index range.
 *
 * With `outcomes`, each stretch is read per outcome on the indexes that lead with it (0018's
 * sorts, rebuilt by 0022 on PostgreSQL and 0023 on SQLite to hold the ended calls only) and
 * merged: how many values or nulls an outcome has is then no guess of the planner's. The calls
 * in progress (outcome null) are in none of those: their walk reads 0011's
 * `(outcome, queued_at, id)` and sorts them, as few as are in flight. A
 * single walk of a column's index to find, say, the failed calls' talk times (they have none)
 * reads the whole index. `query` selects at least the id, the queue time and the sort column
 * (the merge orders by them).
 */
export function keysetRuns<O>(db: Kysely<Database>, query: SelectQueryBuilder<Database, 'calls', O>, sort: CallSortKey, dir: SortDirection, start: KeysetStart = {}): KeysetRun<O>[] {
  const { cursor, reverse = false, outcomes, callers, filters, poor = false } = start;
  const { column, nullable } = SORT_COLUMNS[sort];
  const way: SortDirection = reverse ? (dir === 'asc' ? 'desc' : 'asc') : dir;
  const op = sql.raw(way === 'asc' ? '>' : '<');
  const ordered = (q: SelectQueryBuilder<Database, 'calls', O>) => (column === 'queued_at' ? q : q.orderBy(`calls.${column}`, way)).orderBy('calls.queued_at', way).orderBy('calls.id', way);
  const value = cursor === undefined ? undefined : ((cursor[column] ?? null) as string | number | null);

  /** "After the cursor" for rows whose sort value is null (`nulls`) or not, on a walk of `outcome` if given. */
  const afterCursor = (at: CallCursor, nulls: boolean, outcome?: CallOutcome | null): Expression<SqlBool> => {
    const byTime = sql<SqlBool>`(calls.queued_at, calls.id) ${op} (${at.queued_at}, ${at.id})`;
    if (column === 'queued_at' || nulls) return byTime;
    // Sorted by outcome, one outcome's walk is after the cursor's outcome as a whole or not at
    // all (the database's collation decides, once), or it is the cursor's and goes by time.
    if (column === 'outcome' && outcome !== undefined && outcome !== null) return outcome === value ? byTime : sql<SqlBool>`${outcome} ${op} ${value}`;
    return sql<SqlBool>`(${sql.ref(`calls.${column}`)}, calls.queued_at, calls.id) ${op} (${value}, ${at.queued_at}, ${at.id})`;
  };

  /** The rows whose sort value is null (`nulls`) or not, after the cursor if `after`; undefined if none can be. */
  const stretch = (nulls: boolean, after: boolean): KeysetRun<O> | undefined => {
    const q = nullable ? query.where(`calls.${column}`, nulls ? 'is' : 'is not', null) : query;
    const from = (w: SelectQueryBuilder<Database, 'calls', O>, outcome?: CallOutcome | null) => {
      const started = after && cursor ? w.where(afterCursor(cursor, nulls, outcome)) : w;
      return filters ? started.where(filters) : started;
    };
    let walks: SelectQueryBuilder<Database, 'calls', O>[];
    if (callers && outcomes) {
      // Sorted by another column than time (PostgreSQL): each pair's ended calls of each
      // outcome on the caller's partial index of that sort (0021), which holds them in this
      // order; the calls in progress (outcome null, few) of every pair at once, sorted (they
      // are in no sort index on PostgreSQL, 0022: on 0011's outcome index, or on the caller
      // index for pairs with few calls, as the planner reckons).
      const inProgress = from(q.where('calls.outcome', 'is', null).where((eb) => eb.or(callers.map((c) => eb.and([eb('calls.caller_id', '=', c.caller_id), eb('calls.caller_name', '=', c.caller_name)])))), null);
      walks = (column === 'outcome' ? outcomes.filter((o) => (o === null) === nulls) : outcomes).flatMap((outcome) =>
        outcome === null
          ? [ordered(column === 'outcome' ? inProgress : inProgress.orderBy('calls.outcome', way))]
          : callers.map(({ caller_id, caller_name }) => ordered(from(q.where('calls.caller_id', '=', caller_id).where('calls.caller_name', '=', caller_name).where('calls.outcome', '=', outcome), outcome))),
      );
    } else if (callers) {
      // Each pair's calls on the caller index, which holds them by queue time and id.
      walks = callers.map(({ caller_id, caller_name }) => ordered(from(q.where('calls.caller_id', '=', caller_id).where('calls.caller_name', '=', caller_name))));
    } else if (outcomes) {
      // Sorted by outcome, the nulls are the calls in progress and the values every other.
      // Each walk is ordered as its index holds it, outcome first: PostgreSQL takes the outcome
      // as settled by `=` but not by `is null`, and would sort the calls in progress otherwise
      // where an index holds them in that order (0011's, sorted by outcome; by the other sorts
      // the calls in progress are sorted on both databases: 0022, 0023).
      //
      // SQLite files an ended call into the sort indexes up to 10 s after it ended (migration
      // 0029, `HistoryFiling`): an outcome's walk there is two, the filed calls on the sort
      // index and the pending ones (as few as ended in those seconds) on their own indexes
      // (of the outcome, of the outcome and agent), sorted. Sorted by outcome, the walk is on
      // 0011's whole index; the poor calls' indexes hold them all.
      const oneWalk = (w: SelectQueryBuilder<Database, 'calls', O>, outcome: CallOutcome | null) => ordered(from(w.where('calls.outcome', outcome === null ? 'is' : '=', outcome), outcome).orderBy('calls.outcome', way));
      const filedApart = column !== 'outcome' && !poor && db.getExecutor().adapter instanceof SqliteAdapter;
      walks = (column === 'outcome' ? outcomes.filter((o) => (o === null) === nulls) : outcomes).flatMap((outcome) =>
        outcome !== null && filedApart
          ? [oneWalk(q.where(sql<SqlBool>`calls.sort_pending = 0`), outcome), oneWalk(q.where(sql<SqlBool>`calls.sort_pending = 1`), outcome)]
          : [oneWalk(q, outcome)],
      );
    } else return (limit) => ordered(from(q)).limit(limit);
    if (!walks.length) return undefined;
    return (limit) => {
      const [first, ...rest] = walks.map((walk, i) => db.selectFrom(walk.limit(limit).as(`o${i}`)).selectAll());
      const merged = rest.reduce((all, one) => all.unionAll(one), first);
      // The union's rows in the list's order (nulls, all alike, by queue time and id).
      return [column, 'queued_at', 'id'].reduce((m, c) => m.orderBy(sql.ref(`merged.${c}`), way), db.selectFrom(merged.as('merged')).selectAll()).limit(limit) as unknown as SelectQueryBuilder<Database, 'calls', O>;
    };
  };

  let runs: (KeysetRun<O> | undefined)[];
  if (!nullable) runs = [stretch(false, true)];
  // Forwards the values come first and the nulls last; backwards the other way round.
  else if (value === undefined) runs = reverse ? [stretch(true, false), stretch(false, false)] : [stretch(false, false), stretch(true, false)];
  else if (value === null) runs = reverse ? [stretch(true, true), stretch(false, false)] : [stretch(true, true)];
  else runs = reverse ? [stretch(false, true)] : [stretch(false, true), stretch(true, false)];
  return runs.filter((run) => run !== undefined);
}

/**
 * The outcomes a page sorted by another column than time reads as separate walks
 * ({@link keysetRuns}) on the sort indexes of the ended calls (0022, 0023), which lead with the outcome: the filter's, or every
 * one and null (the column holds only those; null while a call is in progress). None (one
 * walk) sorted by time, or when an indexed student search gives the few calls to sort, unless
 * its `callers` are read as walks of their own (then per pair and outcome, on 0021's indexes).
 */
export function outcomeStreams(filters: CallFilters, sort: CallSortKey, callers?: readonly CallerPair[]): (CallOutcome | null)[] | undefined {
  const { column } = SORT_COLUMNS[sort];
  if (column === 'queued_at') return undefined;
  // A pair's walk of the caller index holds its calls by time, which is by the student's name too.
  if (isIndexedSearch(filters) && (!callers || column === 'caller_name')) return undefined;
  return filters.outcome?.length ? [...filters.outcome] : [...CALL_OUTCOMES, null];
}

/**
 * Up to `limit` rows of the {@link keysetRuns}, in order: each run is read (by `read`, with
 * what is still missing as its limit) only while the runs before it left the page short.
 */
export async function readRuns<O, R>(runs: KeysetRun<O>[], limit: number, read: (query: SelectQueryBuilder<Database, 'calls', O>) => Promise<R[]>): Promise<R[]> {
  const rows: R[] = [];
  for (const run of runs) {
    if (rows.length >= limit) break;
    rows.push(...(await read(run(limit - rows.length))));
  }
  return rows;
}

/** `text` as a LIKE pattern matching it anywhere, lower-cased, with `%`, `_` and `\` escaped. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Searches shorter than a trigram cannot use the search index (they scan). */
const SEARCH_INDEX_MIN_LENGTH = 3;

/**
 * The WHERE condition of {@link CallFilters} on `calls`: queue time in [from, to), the agent
 * who answered, any of the outcomes, and a case-insensitive substring of the caller's
 * display name or username, and `quality=poor` (a warning threshold crossed in at least one quality
 * sample: the call's `poor_quality` flag). Period, agent and outcome are served by the calls
 * indexes, and with `quality=poor` by their partial copies that hold only the poor calls
 * (migration 0019: the condition is written `poor_quality = 1`, as their predicate, so both
 * databases see that those indexes apply); given the `dialect`, a student search of 3
 * characters or more uses the callers' search index of migration 0016 (FTS5 trigram on
 * SQLite, `pg_trgm` on PostgreSQL) and then the caller index, otherwise it scans the rows the
 * other filters leave.
 */
export function callFilters(eb: ExpressionBuilder<Database, 'calls'>, filters: CallFilters, dialect?: SqlDialect, sort: CallSortKey = 'queuedAt'): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [];
  // With an indexed student search, SQLite must read those calls (a handful) rather than every
  // call of an agent or an outcome: `+column` keeps it off those indexes. Sorted by another
  // column, a page walks each outcome on its own (`keysetRuns`): the walks' `outcome = ?`
  // picks the indexes, not this list of outcomes.
  const fromFew = dialect === 'sqlite' && isIndexedSearch(filters);
  const byOutcome = dialect === 'sqlite' && SORT_COLUMNS[sort].column !== 'queued_at';
  const column = (name: 'calls.agent_id' | 'calls.outcome') => (fromFew || (byOutcome && name === 'calls.outcome') ? sql`+${eb.ref(name)}` : eb.ref(name));
  if (filters.from !== undefined) conditions.push(eb('calls.queued_at', '>=', filters.from));
  if (filters.to !== undefined) conditions.push(eb('calls.queued_at', '<', filters.to));
  if (filters.agentId !== undefined) conditions.push(eb(column('calls.agent_id'), '=', filters.agentId));
  if (filters.outcome?.length) conditions.push(eb(column('calls.outcome'), 'in', filters.outcome));
  if (filters.student !== undefined) conditions.push(studentSearch(eb, filters.student, dialect));
  if (filters.quality === 'poor') conditions.push(sql<SqlBool>`calls.poor_quality = 1`);
  return eb.and(conditions);
}

/** A student search reads its (caller, name) pairs' calls as walks of their own if it takes at most this many. */
const CALLER_WALKS_MAX = 16;

/**
 * The (caller, name) pairs whose calls a PostgreSQL student search (3 characters or more, not
 * of the poor calls) matches, to read as {@link KeysetStart.callers} if their walks are at most
 * {@link CALLER_WALKS_MAX}: sorted by time or student one per pair (the caller index), by
 * another column one per pair and outcome (0021's indexes of the ended calls; the calls in
 * progress are one walk more); undefined otherwise. The walks find a page of a student with
 * many calls in about a page of index entries, where `caller_id = any(…)` reads them all and
 * sorts them. SQLite's FTS search reads its few calls as one query.
 */
export async function searchedCallers(
  db: Kysely<Database>,
  filters: CallFilters,
  dialect: SqlDialect,
  sort: CallSortKey,
  read: (query: Compilable<CallerPair>) => Promise<CallerPair[]>,
): Promise<CallerPair[] | undefined> {
  // The poor calls are read on their own indexes (0019): the caller index does not know them.
  if (dialect !== 'postgres' || !isIndexedSearch(filters) || filters.quality === 'poor') return undefined;
  const walksPerPair = outcomeStreams(filters, sort, [])?.filter((outcome) => outcome !== null).length ?? 1;
  const most = Math.floor(CALLER_WALKS_MAX / walksPerPair);
  // The pairs whose name matches and every pair of a caller whose username does: the calls of
  // the student search's condition (studentSearch), each in exactly one pair.
  const pattern = containsPattern(filters.student ?? '');
  const pairs = db.selectFrom('call_callers').select(['call_callers.caller_id', 'call_callers.caller_name']);
  const byName = pairs.where(sql<SqlBool>`lower(call_callers.caller_name) like ${pattern} escape '\\'`);
  const byUsername = pairs.where('call_callers.caller_id', 'in', db.selectFrom('users').select('users.id').where(sql<SqlBool>`users.username like ${pattern} escape '\\'`));
  const found = await read(byName.union(byUsername).limit(most + 1));
  return found.length > most ? undefined : found;
}

/** Whether the filters search students through the search index (3 characters or more). */
function isIndexedSearch(filters: CallFilters): boolean {
  return filters.student !== undefined && [...filters.student].length >= SEARCH_INDEX_MIN_LENGTH;
}

function studentSearch(eb: ExpressionBuilder<Database, 'calls'>, text: string, dialect: SqlDialect | undefined): Expression<SqlBool> {
  const pattern = containsPattern(text);
  const indexed = dialect !== undefined && [...text].length >= SEARCH_INDEX_MIN_LENGTH;
  if (indexed && dialect === 'sqlite') {
    // One FTS5 phrase of the text's trigrams: a substring of a caller's name or username,
    // case-insensitive. The calls are those of the matching (caller, name) pairs, found on the
    // caller index.
    const phrase = `"${text.replace(/"/g, '""')}"`;
    return sql<SqlBool>`(calls.caller_id, calls.caller_name) in (select caller_id, caller_name from call_callers where rowid in (select rowid from call_callers_search where call_callers_search match ${phrase}))`;
  }
  const nameMatches = sql<SqlBool>`lower(${eb.ref('calls.caller_name')}) like ${pattern} escape '\\'`;
  const usernameMatches = sql<SqlBool>`calls.caller_id = any(array(select id from users where username like ${pattern} escape '\\'))`;
  if (indexed) {
    // The callers whose name on some call or whose username matches (trigram GIN indexes on
    // the few thousand caller names and on usernames), their calls on the caller index, and of
    // those the ones that match.
    const callers = sql`array(select caller_id from call_callers where lower(caller_name) like ${pattern} escape '\\' union select id from users where username like ${pattern} escape '\\')`;
    return eb.and([sql<SqlBool>`calls.caller_id = any(${callers})`, eb.or([nameMatches, usernameMatches])]);
  }
  return eb.or([
    nameMatches,
    eb.exists(
      eb
        .selectFrom('users')
        .select('users.id')
        .whereRef('users.id', '=', 'calls.caller_id')
        .where((users) => sql<SqlBool>`${users.ref('users.username')} like ${pattern} escape '\\'`),
    ),
  ]);
}

/** A stored duration in milliseconds, in seconds (null stays null). */
export function seconds(ms: number | null): number | null {
  return ms === null ? null : Number(ms) / 1000;
}

/** A stored call as supervisors see it (durations in seconds). */
export function toCallRecord(row: CallRow): CallRecord {
  return {
    id: row.id,
    direction: row.direction,
    callbackId: row.callback_id,
    state: row.state,
    outcome: row.outcome,
    callerId: row.caller_id,
    callerName: row.caller_name,
    agentId: row.agent_id,
    agentName: row.agent_name,
    queuedAt: row.queued_at,
    answeredAt: row.answered_at,
    connectedAt: row.connected_at,
    endedAt: row.ended_at,
    endedBy: row.ended_by,
    endReason: row.end_reason,
    queueSeconds: seconds(row.queue_ms),
    talkSeconds: seconds(row.talk_ms),
    wrapUpSeconds: seconds(row.wrap_up_ms),
    disposition: row.disposition,
    notes: row.notes,
  };
}

/** A stored timeline entry as supervisors see it. */
export function toTimelineEvent(row: Pick<Selectable<CallEventsTable>, 'at' | 'type' | 'actor_id' | 'actor_name' | 'detail'>): CallTimelineEvent {
  return { at: row.at, type: row.type, actorId: row.actor_id, actorName: row.actor_name, detail: row.detail };
}
