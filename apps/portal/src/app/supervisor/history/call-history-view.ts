import { ParamMap, Params } from '@angular/router';
import { CALL_OUTCOMES, CALL_SORT_KEYS, CallListQuery, CallOutcome, CallSortKey, QualityFilter, SortDirection } from '@switchboard/call-domain';
import { startOfLocalDay } from '../format';

/** Page sizes the history offers. */
export const PAGE_SIZES = [25, 50, 100] as const;

/**
 * What the call-history page shows, as kept in its URL query so a link reproduces the view:
 * `from`/`to` are days (`YYYY-MM-DD`, both inclusive, in the browser's time zone), `page` is
 * 1-based like the API's. `after`/`before` hold the keyset cursor the page was reached by (a
 * previous page's `nextCursor`/`prevCursor`): the calls next to it, at the same cost however
 * deep; `page` then only numbers the page for its range label. Without a cursor `page` is
 * read by OFFSET (a link from before the cursors, the first page, or Last when the total is exact).
 */
export interface CallHistoryView {
  from: string | null;
  to: string | null;
  agentId: string | null;
  outcome: CallOutcome[];
  student: string;
  /** `poor`: only calls whose quality crossed a warning threshold. */
  quality: QualityFilter | null;
  sort: CallSortKey;
  dir: SortDirection;
  page: number;
  pageSize: number;
  /** Keyset cursor: the page right after it (at most one of `after`/`before`). */
  after: string | null;
  /** Keyset cursor: the page right before it. */
  before: string | null;
}

/** The view with no filters: newest calls first, 25 a page. */
export const DEFAULT_VIEW: CallHistoryView = {
  from: null,
  to: null,
  agentId: null,
  outcome: [],
  student: '',
  quality: null,
  sort: 'queuedAt',
  dir: 'desc',
  page: 1,
  pageSize: PAGE_SIZES[0],
  after: null,
  before: null,
};

/** What a cursor looks like (base64url); anything else in a hand-edited link is ignored. */
const CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads the view from a URL query, ignoring values that are not valid (a hand-edited link). */
export function readView(params: ParamMap): CallHistoryView {
  const day = (key: string) => {
    const value = params.get(key);
    return value && DAY.test(value) ? value : null;
  };
  const positive = (key: string, fallback: number) => {
    const value = Number(params.get(key));
    return Number.isInteger(value) && value > 0 ? value : fallback;
  };
  const cursor = (key: string) => {
    const value = params.get(key);
    return value && CURSOR.test(value) ? value : null;
  };
  const sort = params.get('sort') as CallSortKey | null;
  const after = cursor('after');
  const pageSize = positive('pageSize', DEFAULT_VIEW.pageSize);
  return {
    from: day('from'),
    to: day('to'),
    agentId: params.get('agentId') || null,
    outcome: (params.get('outcome') ?? '').split(',').filter((o): o is CallOutcome => (CALL_OUTCOMES as readonly string[]).includes(o)),
    student: params.get('student') ?? '',
    quality: params.get('quality') === 'poor' ? 'poor' : null,
    sort: sort && CALL_SORT_KEYS.includes(sort) ? sort : DEFAULT_VIEW.sort,
    dir: params.get('dir') === 'asc' ? 'asc' : 'desc',
    page: positive('page', 1),
    pageSize: (PAGE_SIZES as readonly number[]).includes(pageSize) ? pageSize : DEFAULT_VIEW.pageSize,
    after,
    before: after ? null : cursor('before'),
  };
}

/** The URL query of a view; values equal to the defaults are left out (null removes them). */
export function viewParams(view: CallHistoryView): Params {
  const unlessDefault = <K extends keyof CallHistoryView>(key: K, value: string | number | null) =>
    view[key] === DEFAULT_VIEW[key] || value === '' ? null : value;
  return {
    from: view.from,
    to: view.to,
    agentId: view.agentId,
    outcome: view.outcome.length ? view.outcome.join(',') : null,
    student: view.student.trim() || null,
    quality: view.quality,
    sort: unlessDefault('sort', view.sort),
    dir: unlessDefault('dir', view.dir),
    page: unlessDefault('page', view.page),
    pageSize: unlessDefault('pageSize', view.pageSize),
    after: view.after,
    before: view.after ? null : view.before,
  };
}

/**
 * The `GET /api/calls` query of a view: days become the instants the local days start and end;
 * the total is counted only up to 10 000 (what a page needs at a million calls).
 */
export function toListQuery(view: CallHistoryView): CallListQuery {
  return {
    from: startOfLocalDay(view.from) ?? undefined,
    to: startOfLocalDay(view.to, 1) ?? undefined,
    agentId: view.agentId ?? undefined,
    outcome: view.outcome.length ? view.outcome : undefined,
    student: view.student.trim() || undefined,
    quality: view.quality ?? undefined,
    sort: view.sort,
    dir: view.dir,
    page: view.page,
    pageSize: view.pageSize,
    after: view.after ?? undefined,
    before: view.after ? undefined : (view.before ?? undefined),
    count: 'capped',
  };
}
