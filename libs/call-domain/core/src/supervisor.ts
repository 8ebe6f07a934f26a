import type { AgentState } from './agent';
import type { CallOutcome, CallRecord, CallTimelineEvent } from './call';
import type { CallQualitySummary, QualitySample } from './call-quality';
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
  /** `poor`: only calls whose quality crossed a warning threshold at least once. */
  quality?: QualityFilter;
}

/** Values of the history's `quality` filter. */
export const QUALITY_FILTERS = ['poor'] as const;
/** See {@link QUALITY_FILTERS}. */
export type QualityFilter = (typeof QUALITY_FILTERS)[number];

/** `GET /api/calls` query, validated: filters, sort and page. */
export interface CallListQuery extends CallFilters {
  sort: CallSortKey;
  dir: SortDirection;
  /** 1-based. Ignored when `after` or `before` is given (the page is the one next to that cursor). */
  page: number;
  pageSize: number;
  /** Keyset paging: the page right after this cursor (a previous answer's `nextCursor`). */
  after?: string;
  /** Keyset paging: the page right before this cursor (a previous answer's `prevCursor`). */
  before?: string;
  /**
   * `exact` (the default): `total` counts every match. `capped`: `total` counts up to
   * {@link CAPPED_COUNT} matches and `totalExact` says whether it stopped there — what a page
   * needs at a million calls, in a few milliseconds.
   */
  count?: 'exact' | 'capped';
}

/** The most matches a `count=capped` page counts. */
export const CAPPED_COUNT = 10_000;

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

/**
 * `GET /api/calls`: a page with its keyset cursors. `nextCursor`/`prevCursor` (null at either
 * end) fetch the neighbouring pages with `after`/`before`, at the same cost however deep;
 * `totalExact` is false when `count=capped` stopped counting at `total`.
 */
export interface CallPage extends Page<CallRecord> {
  nextCursor: string | null;
  prevCursor: string | null;
  totalExact: boolean;
}

/** `GET /api/calls/:id`: the record and its whole timeline, oldest event first. */
export interface CallDetail extends CallRecord {
  timeline: CallTimelineEvent[];
  /** What the parties' quality samples add up to; null when none was reported. */
  quality: CallQualitySummary | null;
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
  /** The latest quality sample of the call the agent is on (`on_call` only); null when none yet. */
  callQuality?: (QualitySample & { at: string }) | null;
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
  /** When a supervisor or the agent who took it marked it done (ISO 8601), or null while open. */
  doneAt: string | null;
  doneById: string | null;
  doneByName: string | null;
  /** The agent who took it (only they may call or record attempts), or null (absent before callbacks could be taken). */
  takenById?: string | null;
  takenByName?: string | null;
  takenAt?: string | null;
  /** Attempts recorded so far: by the agent with a note, or a callback the student declined or did not answer. */
  attempts?: number;
  /** Whether the student is signed in now (a callback can be placed only then). */
  studentOnline?: boolean;
  /** The outbound call in progress for it, if any. */
  activeCallId?: string | null;
}

/** Kinds of entry in a callback request's life (`GET /api/callbacks/:id`). */
export const CALLBACK_EVENT_TYPES = ['requested', 'taken', 'attempt', 'call_placed', 'done'] as const;
/** See {@link CALLBACK_EVENT_TYPES}. */
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

/** One entry of a callback request's life. */
export interface CallbackEvent {
  at: string;
  type: CallbackEventType;
  actorId: string | null;
  actorName: string | null;
  /** An attempt's note (the agent's, or why a call did not connect). */
  note: string | null;
  /** `call_placed` (and an attempt a call made): the outbound call. */
  callId: string | null;
  /** That call's outcome once it ended, else null. */
  callOutcome: CallOutcome | null;
}

/** A callback request with its whole life, oldest first (`GET /api/callbacks/:id`). */
export interface CallbackRecord extends CallbackRequest {
  life: CallbackEvent[];
}
