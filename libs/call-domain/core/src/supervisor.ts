import type { AgentState } from './agent';
import type { CallOutcome, CallRecord, CallTimelineEvent } from './call';
import type { MetricDefinition, MetricName } from './metric-definitions';
import type { CallMetrics, MetricThresholds } from './metrics';
import type { QueueSnapshot } from './protocol';

/** Columns `GET /api/calls` can sort by (CallRecord field names). */
export const CALL_SORT_KEYS = ['queuedAt', 'queueSeconds', 'talkSeconds', 'outcome', 'agentName', 'callerName'] as const;
/** See {@link CALL_SORT_KEYS}. */
export type CallSortKey = (typeof CALL_SORT_KEYS)[number];

/** Sort direction. */
export type SortDirection = 'asc' | 'desc';

/** A period: `from` inclusive, `to` exclusive, both ISO 8601 UTC. */
export interface Period {
  from: string;
  to: string;
}

/**
 * Filters shared by `GET /api/calls` and `GET /api/calls/export.csv` (after validation; all
 * optional). `from`/`to` bound the time the call entered the queue.
 */
export interface CallFilters {
  from?: string;
  to?: string;
  agentId?: string;
  /** Any of these outcomes (the query string takes a comma-separated list). */
  outcome?: CallOutcome[];
  /** Case-insensitive substring of the caller's display name or username. */
  student?: string;
}

/** `GET /api/calls` query, validated: filters, sort and page. */
export interface CallListQuery extends CallFilters {
  sort: CallSortKey;
  dir: SortDirection;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** `GET /api/calls/export.csv` query, validated: filters and the list's order (every page). */
export interface CallExportQuery extends CallFilters {
  sort: CallSortKey;
  dir: SortDirection;
}

/** One page of a list: `total` counts every match, not just this page. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** `GET /api/calls/:id`: the record and its whole timeline, oldest event first. */
export interface CallDetail extends CallRecord {
  timeline: CallTimelineEvent[];
}

/** `GET /api/metrics` query, validated. */
export interface MetricsQuery {
  from?: string;
  to?: string;
  serviceLevelSeconds: number;
  /** Default: the server's short-abandon window (SHORT_ABANDON_SECONDS, 5 s unless configured). */
  shortAbandonSeconds?: number;
  timeZone: string;
  /**
   * Where the figures come from: `rollups` (default; the hourly sums the ledger keeps, fast
   * for any period) or `raw` (recomputed from every call record and timeline, for audits).
   */
  source?: MetricsSource;
}

/** Where `GET /api/metrics` takes its figures from; see {@link MetricsQuery.source}. */
export type MetricsSource = 'rollups' | 'raw';

/** `GET /api/metrics`: the figures, how they are defined, and what they were computed over. */
export interface MetricsReport {
  /** The period actually used (defaults filled in). */
  period: Period;
  thresholds: MetricThresholds;
  metrics: CallMetrics;
  definitions: Readonly<Record<MetricName, MetricDefinition>>;
  /** The instant of the real-time figures (ISO 8601). */
  generatedAt: string;
  /** Where the figures came from (the query's `source`, default `rollups`). */
  source: MetricsSource;
  /**
   * Calls queued before this instant were deleted by retention (RETENTION_MONTHS): their
   * figures come from the roll-ups only (a `raw` recomputation no longer sees them); null
   * while nothing was ever deleted.
   */
  aggregatedBefore: string | null;
}

/**
 * `GET /api/queue`: the queue right now (as the socket's `queueChanged` sends it), with what
 * its figures mean. The live board's first read; the socket keeps it current.
 */
export interface QueueReport extends QueueSnapshot {
  definitions: Pick<MetricsReport['definitions'], 'callsWaiting' | 'longestCurrentWaitSeconds'>;
}

/** One row of `GET /api/agents`: an agent account and its presence. */
export interface AgentBoardEntry {
  agentId: string;
  username: string;
  displayName: string;
  /** `offline` when the agent has never signed in. */
  state: AgentState;
  /** When the agent entered `state` (ISO 8601); null if never signed in. */
  since: string | null;
  /** Seconds in `state` when the answer was made; null with `since`. */
  secondsInState: number | null;
  /** Whether at least one of the agent's tabs is connected. */
  connected: boolean;
  /** The call the agent is ringing for, talking on or wrapping up, if any. */
  callId: string | null;
  /** End of wrap-up (ISO 8601), while in `wrap_up`. */
  wrapUpEndsAt: string | null;
}

/** Which callback requests `GET /api/callbacks` lists. */
export const CALLBACK_STATUSES = ['open', 'done', 'all'] as const;
/** See {@link CALLBACK_STATUSES}. */
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** `GET /api/callbacks` query, validated. Open requests are listed oldest first, others newest first. */
export interface CallbackListQuery {
  status: CallbackStatus;
  page: number;
  pageSize: number;
}

/** A student's request to be called back (left when nobody answered), as supervisors see it. */
export interface CallbackRequest {
  id: string;
  /** The call that could not be answered, if the request came from one. */
  callId: string | null;
  studentId: string;
  /** The student's name as they gave it. */
  name: string;
  note: string | null;
  createdAt: string;
  /** When a supervisor marked it done (ISO 8601), or null while open. */
  doneAt: string | null;
  doneById: string | null;
  doneByName: string | null;
}
