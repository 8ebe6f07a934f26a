import { Inject, Injectable } from '@nestjs/common';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { CAPPED_COUNT, type CallDetail, type CallListQuery, type CallPage } from '@switchboard/call-domain';
import { DATABASE_CONNECTION, InjectDatabase } from '../database/database.module';
import type { DatabaseConnection } from '../database/database';
import { ReadPool } from '../database/read-pool';
import type { CallRow, Database } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { toCallQualitySummary } from '../calls/call-quality.service';
import { SORT_COLUMNS, callFilters, inCallOrder, keysetRuns, outcomeStreams, readRuns, searchedCallers, toCallRecord, toTimelineEvent, type CallCursor, type CallerPair } from './call-queries';

/**
 * A keyset cursor as the API hands it out: base64url of `[sort value, queued_at, id]` of the
 * row it points at. Opaque to clients.
 */
export function encodeCursor(row: CallRow, sort: CallListQuery['sort']): string {
  return Buffer.from(JSON.stringify([row[SORT_COLUMNS[sort].column], row.queued_at, row.id])).toString('base64url');
}

/** Reads a cursor of {@link encodeCursor}. @throws ProblemException bad_request */
export function decodeCursor(text: string, sort: CallListQuery['sort']): CallCursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== 3 ||
    (!['string', 'number'].includes(typeof parts[0]) && parts[0] !== null) ||
    typeof parts[1] !== 'string' ||
    typeof parts[2] !== 'string'
  ) {
    throw new ProblemException('bad_request', 'The cursor is not one this API handed out (use nextCursor or prevCursor of a page)');
  }
  return { [SORT_COLUMNS[sort].column]: parts[0], queued_at: parts[1], id: parts[2] } as CallCursor;
}

/**
 * Reads stored calls for supervisors: filtered, sorted pages and one call's whole timeline.
 * The reads run in the {@link ReadPool} (off the main thread on SQLite), so a page never
 * holds up a call.
 */
@Injectable()
export class CallHistoryService {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    private readonly reads: ReadPool,
  ) {}

  /**
   * One page of the calls matching the filters, sorted by `sort` then by queue time and id
   * (same direction) so pages never overlap; nulls sort last either way. With `after` or
   * `before` the page is the one next to that cursor (keyset: the same cost however deep);
   * otherwise page `page` (OFFSET, kept for older clients). The page's ids are found first on
   * the indexes, then their rows are read.
   */
  async list(query: CallListQuery): Promise<CallPage> {
    const dialect = this.connection.dialect;
    const cursorText = query.after ?? query.before;
    const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText, query.sort);
    const backwards = query.before !== undefined;
    const { column } = SORT_COLUMNS[query.sort];
    // With `callers`, the student search is their walks' (keysetRuns), not a condition.
    const filters = (callers?: CallerPair[]) => (eb: ExpressionBuilder<Database, 'calls'>) => callFilters(eb, callers ? { ...query, student: undefined } : query, dialect, query.sort);
    const keys = this.db.selectFrom('calls').select(column === 'queued_at' ? ['calls.id', 'calls.queued_at'] : ['calls.id', 'calls.queued_at', `calls.${column}`]);
    const limit = query.pageSize + 1;
    // A search of a few students with many calls reads (and counts) each one's calls on its own.
    const callers = await searchedCallers(this.db, query, dialect, query.sort, (pairs) => this.reads.all(pairs));
    const page =
      !cursor && query.page > 1
        ? // An older client's page number: OFFSET in the one whole order (its cost grows with the depth).
          this.reads.all(inCallOrder(keys.where(filters()), query.sort, query.dir).limit(limit).offset((query.page - 1) * query.pageSize))
        : readRuns(keysetRuns(this.db, keys, query.sort, query.dir, { cursor, reverse: backwards, outcomes: outcomeStreams(query, query.sort, callers), callers, filters: filters(callers), poor: query.quality === 'poor' }), limit, (run) => this.reads.all(run));
    const [found, total] = await Promise.all([page, this.count(query, callers)]);
    const more = found.length > query.pageSize;
    const ids = found.slice(0, query.pageSize).map((r) => r.id);
    if (backwards) ids.reverse();
    const rows = ids.length ? await this.reads.all(this.db.selectFrom('calls').selectAll().where('id', 'in', ids)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const items = ids.flatMap((id) => byId.get(id) ?? []);
    const first = items[0];
    const last = items[items.length - 1];
    // Forwards, a page after a cursor (or past the first) has one before it; backwards the reverse.
    const hasPrev = backwards ? more : cursor !== undefined || query.page > 1;
    const hasNext = backwards ? true : more;
    return {
      items: items.map(toCallRecord),
      total: total.n,
      totalExact: total.exact,
      page: query.page,
      pageSize: query.pageSize,
      nextCursor: hasNext && last ? encodeCursor(last, query.sort) : null,
      prevCursor: hasPrev && first ? encodeCursor(first, query.sort) : null,
    };
  }

  /**
   * How many calls match: all of them, or (`count=capped`) up to {@link CAPPED_COUNT}. With the
   * student search's (caller, name) pairs ({@link searchedCallers}), each pair's calls are
   * counted on its range of the caller index, not matched against the search's text one by one
   * (a student with 25 000 calls: 1.5 ms instead of 6.4 capped at a million calls).
   */
  private async count(query: CallListQuery, callers?: CallerPair[]): Promise<{ n: number; exact: boolean }> {
    const dialect = this.connection.dialect;
    const ofPair = ({ caller_id, caller_name }: CallerPair) =>
      this.db.selectFrom('calls').where((eb) => callFilters(eb, { ...query, student: undefined }, dialect)).where('calls.caller_id', '=', caller_id).where('calls.caller_name', '=', caller_name);
    if (callers && !callers.length) return { n: 0, exact: true };
    if (query.count !== 'capped') {
      const counted = callers
        ? this.db.selectFrom(callers.map((pair) => ofPair(pair).select((eb) => eb.fn.countAll<string | number>().as('n'))).reduce((all, one) => all.unionAll(one)).as('pairs')).select((eb) => eb.fn.sum<string | number>('pairs.n').as('n'))
        : this.db.selectFrom('calls').where((eb) => callFilters(eb, query, dialect)).select((eb) => eb.fn.countAll<string | number>().as('n'));
      const row = await this.reads.first(counted);
      return { n: Number(row?.n ?? 0), exact: true };
    }
    const limited = callers
      ? this.db.selectFrom(callers.map((pair) => ofPair(pair).select('calls.id')).reduce((all, one) => all.unionAll(one)).as('pairs')).select('pairs.id').limit(CAPPED_COUNT + 1)
      : this.db.selectFrom('calls').where((eb) => callFilters(eb, query, dialect)).select('calls.id').limit(CAPPED_COUNT + 1);
    const row = await this.reads.first(this.db.selectFrom(limited.as('m')).select((eb) => eb.fn.countAll<string | number>().as('n')));
    const n = Number(row?.n ?? 0);
    return n > CAPPED_COUNT ? { n: CAPPED_COUNT, exact: false } : { n, exact: true };
  }

  /** One call, its timeline in order and its quality summary. @throws ProblemException not_found */
  async detail(id: string): Promise<CallDetail> {
    const row = await this.reads.first(this.db.selectFrom('calls').selectAll().where('id', '=', id));
    if (!row) throw new ProblemException('not_found', `There is no call with id "${id}"`);
    const [events, quality] = await Promise.all([
      this.reads.all(
        this.db.selectFrom('call_events').select(['at', 'type', 'actor_id', 'actor_name', 'detail']).where('call_id', '=', id).orderBy('seq'),
      ),
      this.reads.first(this.db.selectFrom('call_quality').selectAll().where('call_id', '=', id)),
    ]);
    return { ...toCallRecord(row), timeline: events.map(toTimelineEvent), quality: quality ? toCallQualitySummary(quality) : null };
  }
}
