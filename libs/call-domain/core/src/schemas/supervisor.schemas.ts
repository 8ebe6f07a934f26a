import { z } from 'zod';
import { CALL_OUTCOMES } from '../call';
import { DEFAULT_SERVICE_LEVEL_SECONDS, isTimeZone } from '../metrics';
import { CALLBACK_STATUSES, CALL_SORT_KEYS, QUALITY_FILTERS } from '../supervisor';

/** Largest page the list endpoints hand out. */
export const MAX_PAGE_SIZE = 200;

/**
 * An instant in a query string: an ISO 8601 date-time with `Z` or an offset, or a bare date
 * (midnight UTC). Normalised to `Date#toISOString()` form, the form stored in the database,
 * so text comparison orders it correctly.
 */
export const instantSchema = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'Expected an ISO 8601 date (2026-11-01) or date-time (2026-11-01T08:00:00Z)' })
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v).toISOString());

const pageSchema = z.coerce.number().int().min(1).max(1_000_000).default(1);
const pageSizeSchema = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50);
const dirSchema = z.enum(['asc', 'desc']).default('desc');

const periodShape = { from: instantSchema.optional(), to: instantSchema.optional() };

function periodInOrder(v: { from?: string; to?: string }): boolean {
  return v.from === undefined || v.to === undefined || v.from < v.to;
}
const periodOrderIssue = { message: '"from" must be before "to"', path: ['to'] };

const filterShape = {
  ...periodShape,
  agentId: z.string().trim().min(1).max(64).optional(),
  outcome: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(CALL_OUTCOMES)).min(1))
    .optional(),
  student: z.string().trim().min(1).max(80).optional(),
  quality: z.enum(QUALITY_FILTERS).optional(),
};

const cursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, 'Expected a cursor from a previous page (nextCursor or prevCursor)').optional();

/**
 * `GET /api/calls` query: filters, `sort` (default queuedAt), `dir` (default desc), `page`,
 * `pageSize` (≤ 200); keyset paging with `after` or `before` (not both) and `count`.
 */
export const callListQuerySchema = z
  .object({
    ...filterShape,
    sort: z.enum(CALL_SORT_KEYS).default('queuedAt'),
    dir: dirSchema,
    page: pageSchema,
    pageSize: pageSizeSchema,
    after: cursorSchema,
    before: cursorSchema,
    count: z.enum(['exact', 'capped']).optional(),
  })
  .strict()
  .refine(periodInOrder, periodOrderIssue)
  .refine((v) => v.after === undefined || v.before === undefined, { message: 'Give "after" or "before", not both', path: ['before'] });

/** `GET /api/me/calls` query: an agent's own calls — the list's filters but the agent, sorted and paged like it. */
export const agentCallListQuerySchema = z
  .object({
    ...periodShape,
    outcome: filterShape.outcome,
    student: filterShape.student,
    sort: z.enum(CALL_SORT_KEYS).default('queuedAt'),
    dir: dirSchema,
    page: pageSchema,
    pageSize: pageSizeSchema,
  })
  .strict()
  .refine(periodInOrder, periodOrderIssue);

/** `GET /api/me/figures` query: the period (both ends required: the agent's day in their time zone). */
export const agentFiguresQuerySchema = z
  .object({ from: instantSchema, to: instantSchema })
  .strict()
  .refine(periodInOrder, periodOrderIssue);

/** `GET /api/calls/export.csv` query: the filters and the order (`sort`, `dir`) of the list, no paging. */
export const callExportQuerySchema = z
  .object({ ...filterShape, sort: z.enum(CALL_SORT_KEYS).default('queuedAt'), dir: dirSchema })
  .strict()
  .refine(periodInOrder, periodOrderIssue);

/**
 * `GET /api/metrics` query: period, thresholds in whole seconds (the short-abandon window
 * defaults to the server's SHORT_ABANDON_SECONDS), time zone of the hourly figures.
 */
export const metricsQuerySchema = z
  .object({
    ...periodShape,
    serviceLevelSeconds: z.coerce.number().int().min(1).max(3600).default(DEFAULT_SERVICE_LEVEL_SECONDS),
    shortAbandonSeconds: z.coerce.number().int().min(0).max(600).optional(),
    timeZone: z.string().trim().max(64).refine(isTimeZone, 'Expected an IANA time zone such as UTC or Europe/Berlin').default('UTC'),
    source: z.enum(['rollups', 'raw']).optional(),
  })
  .strict()
  .refine(periodInOrder, periodOrderIssue);

/** `GET /api/callbacks` query. */
export const callbackListQuerySchema = z.object({ status: z.enum(CALLBACK_STATUSES).default('open'), page: pageSchema, pageSize: pageSizeSchema }).strict();
