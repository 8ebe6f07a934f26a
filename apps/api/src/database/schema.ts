import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { AgentState, CallbackEventType, CallDirection, CallEventType, CallOutcome, CallParty, CallState, EndReason, Role } from '@switchboard/call-domain';

/**
 * The tables of the database, as Kysely sees them. Each migration that adds a table adds its
 * interface here too (e.g. `calls: CallsTable` with 0002).
 *
 * Conventions that keep SQLite and PostgreSQL interchangeable:
 * - ids are UUID strings in `text` columns, chosen by the API: a call's time-ordered
 *   (`newCallId()`, version 7: it leads the keys of the call's timeline and held signals), the
 *   rest random (`randomUUID()`);
 * - timestamps are ISO 8601 UTC strings in `text` columns (`new Date().toISOString()`), so
 *   both dialects return the same string and they sort in time order;
 * - enumerations are `text` with a CHECK constraint, typed with the call-domain union.
 */
export interface Database {
  users: UsersTable;
  calls: CallsTable;
  call_events: CallEventsTable;
  call_signals: CallSignalsTable;
  agent_presence: AgentPresenceTable;
  agent_state_changes: AgentStateChangesTable;
  deadlines: DeadlinesTable;
  callback_requests: CallbackRequestsTable;
  ledger_outbox: LedgerOutboxTable;
  sign_in_sessions: SignInSessionsTable;
  api_nodes: ApiNodesTable;
  call_answer_signals: CallAnswerSignalsTable;
  call_quality: CallQualityTable;
  callback_events: CallbackEventsTable;
  call_rollups: CallRollupsTable;
  call_wait_rollups: CallWaitRollupsTable;
  call_missed_rollups: CallMissedRollupsTable;
  retention_runs: RetentionRunsTable;
  call_callers: CallCallersTable;
  call_media_holders: CallMediaHoldersTable;
}

/** One account: a student, an agent or a supervisor. */
export interface UsersTable {
  id: string;
  /** Always lower-case, so lookups are case-insensitive on both dialects. */
  username: string;
  display_name: string;
  role: Role;
  /** An scrypt hash string as written by `hashPassword`. */
  password_hash: string;
  /** ISO 8601 UTC. */
  created_at: string;
}

/** A user row as read. */
export type UserRow = Selectable<UsersTable>;
/** A user row as written. */
export type NewUserRow = Insertable<UsersTable>;

// ---- Calls (migration 0002). Times are ISO 8601 UTC text; durations are milliseconds.

/** One call, from entering the queue to wrap-up. */
export interface CallsTable {
  id: string;
  state: CallState;
  /** Exactly one once ended; null before. */
  outcome: CallOutcome | null;
  caller_id: string;
  caller_name: string;
  /** The agent who accepted it. */
  agent_id: string | null;
  agent_name: string | null;
  /** The agent it rings at right now (state `ringing` only). */
  ringing_agent_id: string | null;
  /** When the current offer rings out (state `ringing` only). */
  rings_out_at: string | null;
  queued_at: string;
  /** When an agent accepted it. */
  answered_at: string | null;
  /** When media first connected. */
  connected_at: string | null;
  ended_at: string | null;
  ended_by: CallParty | null;
  end_reason: EndReason | null;
  /** From queued to accepted, or to the end if never accepted. */
  queue_ms: number | null;
  /** From media connected to the end. */
  talk_ms: number | null;
  /** From the end to wrap-up saved or timed out. */
  wrap_up_ms: number | null;
  disposition: string | null;
  notes: string | null;
  /** The current media negotiation (the last offer's `negotiationId`); null before the first offer. */
  negotiation_id: string | null;
  /** `inbound` (a student's call, the default) or `outbound` (an agent's callback), migration 0012. */
  direction: ColumnType<CallDirection, CallDirection | undefined, CallDirection>;
  /** The callback request an outbound call was placed for (migration 0012). */
  callback_id: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * 1 once a quality sample of the call crossed a warning threshold (its `call_quality` row's
   * `warning_samples` > 0), else 0: the history's `quality=poor`, read on partial indexes
   * (migration 0019). Set in the transaction that records that sample.
   */
  poor_quality: ColumnType<number, number | undefined, number>;
  /**
   * SQLite: 1 from the move that ends the call until `HistoryFiling` files it into the
   * history's sort indexes (up to 10 s later, in a background pass; migration 0029), else 0.
   * Always 0 on PostgreSQL.
   */
  sort_pending: ColumnType<number, number | undefined, number>;
}

/** One entry of a call's timeline; `seq` orders the entries of one call from 1. */
export interface CallEventsTable {
  id: string;
  call_id: string;
  seq: number;
  at: string;
  type: CallEventType;
  actor_id: string | null;
  actor_name: string | null;
  detail: string | null;
}

/** The caller's latest offer and candidates, held until media connects or the call ends. */
export interface CallSignalsTable {
  call_id: string;
  message_id: string;
  kind: 'offer' | 'candidate';
  /** The whole `OfferMessage` / `CandidateMessage` as JSON. */
  payload: string;
  created_at: string;
  /** Arrival order within the call (1, 2, …; unique per call): what held signals are re-sent in. */
  seq: number;
  /** The negotiation the signal belongs to (only the current one's are held). */
  negotiation_id: string | null;
}

/** Each agent's presence: the server's truth, one row per agent who ever connected. */
export interface AgentPresenceTable {
  agent_id: string;
  display_name: string;
  state: AgentState;
  since: string;
  /** 1 while at least one of the agent's sockets is connected on any node. */
  connected: number;
  call_id: string | null;
  /** Last call's end or last return to Available: longest idle is offered first. */
  idle_since: string;
  wrap_up_ends_at: string | null;
}

/** Every change of an agent's state, with why and by whom. */
export interface AgentStateChangesTable {
  id: string;
  agent_id: string;
  at: string;
  from_state: AgentState;
  to_state: AgentState;
  reason: string;
  /** The user who made the change; null when the system did. */
  by_user_id: string | null;
}

/** Kinds of {@link DeadlinesTable} row. */
export type DeadlineKind = 'ring_timeout' | 'max_wait' | 'media_timeout' | 'wrap_up_end' | 'presence_grace' | 'retention';

/** Something to do at `due_at`, claimed by one node; at most one per kind and subject. */
export interface DeadlinesTable {
  id: string;
  kind: DeadlineKind;
  /** A call id, or a user id for `wrap_up_end` and `presence_grace`. */
  subject_id: string;
  due_at: string;
  claimed_by: string | null;
  claimed_at: string | null;
}

/** A student's request to be called back after an unanswered call. */
export interface CallbackRequestsTable {
  id: string;
  call_id: string | null;
  student_id: string;
  name: string;
  note: string | null;
  created_at: string;
  done_at: string | null;
  done_by: string | null;
  /** The agent who took it, and when (migration 0012). */
  taken_by: ColumnType<string | null, string | null | undefined, string | null>;
  taken_at: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One entry of a callback request's life after it was requested (migration 0012). */
export interface CallbackEventsTable {
  id: string;
  callback_id: string;
  at: string;
  type: Exclude<CallbackEventType, 'requested'>;
  actor_id: string | null;
  actor_name: string | null;
  note: string | null;
  /** The outbound call it is about (`call_placed`, an attempt a call made). */
  call_id: string | null;
}

/** The domain events of one committed ledger transaction, until delivered (migration 0005). */
export interface LedgerOutboxTable {
  id: string;
  created_at: string;
  /** A JSON array of `LedgerEvent`s, in the order they happened. */
  events: string;
  /** The node redelivering it after the committing node failed to; null while fresh. */
  claimed_by: string | null;
  claimed_at: string | null;
}

/** One sign-in: an access token is honoured while its session is open (migration 0006). */
export interface SignInSessionsTable {
  /** The token's `sid` claim. */
  id: string;
  user_id: string;
  created_at: string;
  /** When the token expires: the row is useless after that and may be deleted. */
  expires_at: string;
  /** When the user signed out or was signed out; null while the session is open. */
  ended_at: string | null;
}

/** The accepted agent's answer and candidates, held until media connects or the call ends (migration 0007). */
export interface CallAnswerSignalsTable {
  call_id: string;
  message_id: string;
  kind: 'answer' | 'candidate';
  /** The whole `AnswerMessage` / `CandidateMessage` as JSON. */
  payload: string;
  /** The negotiation it belongs to (null: the call's first, sent without the field). */
  negotiation_id: string | null;
  /** Arrival order (ISO time, then insertion). */
  created_at: string;
}

/** One running API node and its heartbeat (migration 0007). */
export interface ApiNodesTable {
  /** The node's id (`LedgerOutbox.nodeId`, also its claim on deadlines and outbox rows). */
  id: string;
  started_at: string;
  /** Refreshed every NODE_HEARTBEAT_MS while the node runs. */
  heartbeat_at: string;
  /** The live node handling this one's death; null while it beats. */
  claimed_by: string | null;
  claimed_at: string | null;
}

/** The socket that took one side of a call's media up again (migration 0017). */
export interface CallMediaHoldersTable {
  call_id: string;
  /** The room of that side (`callAgentRoom`, `callCallerRoom`, `callCallerTabRoom`). */
  room: string;
  socket_id: string;
}

/** The quality summary of one call, from both parties' samples (migration 0009). */
export interface CallQualityTable {
  call_id: string;
  samples: number;
  mos_min: number;
  /** Sum of the samples' MOS: the average is `mos_sum / samples`. */
  mos_sum: number;
  /** Worst packet loss of a sample, percent. */
  loss_max: number;
  /** Highest round-trip time, ms; null while no sample measured one. */
  rtt_max: number | null;
  jitter_max: number;
  /** Samples that crossed at least one warning threshold (> 0: the call is "poor quality"). */
  warning_samples: number;
  high_rtt_samples: number;
  high_jitter_samples: number;
  high_loss_samples: number;
  low_mos_samples: number;
  latest_at: string;
  /** The latest sample as JSON (`QualitySample`). */
  latest_sample: string;
}

// ---- Roll-ups (migration 0013): sums over the ended calls, kept by the ledger in the
// transaction that changes the call (apps/api/src/calls/ledger/call-rollups.ts).

/** Ended calls per quarter hour (UTC, by queue time) and outcome. */
export interface CallRollupsTable {
  /** ISO start of the quarter hour. */
  bucket_start: string;
  outcome: CallOutcome;
  calls: number;
  /** Sum of queue times (ms). */
  queue_ms: number | string;
  /** Calls with a talk time. */
  handled: number;
  /** Sum of talk + wrap-up times (ms) of those. */
  handle_ms: number | string;
}

/** Ended calls per UTC day, outcome and queue time in whole seconds rounded up (a histogram for the service level and short abandons). */
export interface CallWaitRollupsTable {
  /** ISO start of the UTC day. */
  day: string;
  outcome: CallOutcome;
  /** ⌈queue seconds⌉, 3601 for anything above an hour. */
  wait_s: number;
  calls: number;
}

/** Offers that rang out per quarter hour (of the call's queue time) and agent, of ended calls. */
export interface CallMissedRollupsTable {
  bucket_start: string;
  agent_id: string;
  agent_name: string;
  missed: number;
}

/** One retention pass (RETENTION_MONTHS): what it deleted, before which cutoff, when (migration 0013). */
export interface RetentionRunsTable {
  id: string;
  /** The node that ran it. */
  node_id: string;
  started_at: string;
  finished_at: string;
  months: number;
  /** Calls queued before this instant were deleted. */
  cutoff: string;
  calls_deleted: number;
  /** Timeline entries of those calls. */
  events_deleted: number;
  callbacks_deleted: number;
  /** Transactions it took (at most RETENTION_BATCH_SIZE calls each). */
  batches: number;
  /** How the pass ended: only `completed` deleted every call it should have (migration 0015). */
  status: ColumnType<RetentionStatus, RetentionStatus | undefined, RetentionStatus>;
}

/**
 * How a retention pass ended: `completed`; `handed_over` (its claim went stale and another
 * node took the deadline, which deletes the rest); `stopped` (its node was stopping; the pass
 * is taken up again once the claim goes stale).
 */
export type RetentionStatus = 'completed' | 'handed_over' | 'stopped';

/**
 * Each (caller, name on the call) pair of the stored calls, once: what the history's student
 * search looks up before reading calls (migration 0016). Kept by a trigger on `calls`.
 */
export interface CallCallersTable {
  caller_id: string;
  caller_name: string;
}

/** A call row as read. */
export type CallRow = Selectable<CallsTable>;
/** An agent presence row as read. */
export type AgentPresenceRow = Selectable<AgentPresenceTable>;
/** A deadline row as read. */
export type DeadlineRow = Selectable<DeadlinesTable>;
