/** A call's id: a UUID chosen by the API when the call is requested. */
export type CallId = string;

/**
 * Where a call is in its life. `queued`: waiting for an agent; `ringing`: offered to one
 * agent right now; `accepted`: the agent accepted, media is being set up; `connected`: media
 * flows; `ended`: over, with exactly one {@link CallOutcome}.
 */
export const CALL_STATES = ['queued', 'ringing', 'accepted', 'connected', 'ended'] as const;
/** See {@link CALL_STATES}. */
export type CallState = (typeof CALL_STATES)[number];

/**
 * Who started a call: `inbound`, a student calling the help desk (queued, then offered to
 * agents); `outbound`, an agent calling a student back about a callback request (it rings at
 * the student straight away; the agent is the party who offers the media).
 */
export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
/** See {@link CALL_DIRECTIONS}. */
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** Exactly one per ended call (see shared/CONTACT-CENTER.md). */
export const CALL_OUTCOMES = ['answered', 'abandoned', 'short_abandon', 'unanswered', 'failed'] as const;
/** See {@link CALL_OUTCOMES}. */
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Who ended a call. */
export type CallParty = 'caller' | 'agent' | 'system';

/**
 * Why a call ended, for the record and for the message each side sees.
 * - `cancelled`: the caller cancelled while waiting or ringing.
 * - `caller_left`: the caller's connection was lost before an agent answered.
 * - `hung_up`: one side hung up a connected call (see `endedBy`).
 * - `max_wait`: nobody answered before the maximum wait.
 * - `media_failed`: accepted, but media never connected.
 * - `disconnected`: a party's connection was lost during the call.
 */
export const END_REASONS = ['cancelled', 'caller_left', 'hung_up', 'max_wait', 'media_failed', 'disconnected'] as const;
/** See {@link END_REASONS}. */
export type EndReason = (typeof END_REASONS)[number];

/** Kinds of entry in a call's timeline. */
export const CALL_EVENT_TYPES = [
  'queued',
  'offered',
  'missed',
  'declined',
  'accepted',
  'connected',
  'media_failed',
  'cancelled',
  'ended',
  'wrap_up_saved',
  'callback_requested',
  /** The network path of a connected call broke and the caller restarted ICE. */
  'ice_restarted',
  /** A party's page reloaded and took the call up again. */
  'resumed',
  /** An agent placed an outbound call (a callback): it rings at the student. */
  'dialed',
  /** The call's quality crossed a warning threshold (detail: which); once per kind of warning per call. */
  'quality_warning',
] as const;
/** See {@link CALL_EVENT_TYPES}. */
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

/** One entry of a call's timeline: when, who, what happened. */
export interface CallTimelineEvent {
  at: string; // ISO 8601
  type: CallEventType;
  /** The user the event is about or by (agent offered, agent who declined, …), if any. */
  actorId: string | null;
  actorName: string | null;
  detail: string | null;
}

/** A call's stored record, as supervisors see it. */
export interface CallRecord {
  id: CallId;
  /** `outbound`: an agent's callback to the student; `inbound`: the student called (absent from servers before callbacks: inbound). */
  direction?: CallDirection;
  /** The callback request an outbound call was placed for, else null (absent: null). */
  callbackId?: string | null;
  state: CallState;
  outcome: CallOutcome | null;
  callerId: string;
  callerName: string;
  agentId: string | null;
  agentName: string | null;
  queuedAt: string;
  answeredAt: string | null;
  connectedAt: string | null;
  endedAt: string | null;
  endedBy: CallParty | null;
  endReason: EndReason | null;
  /** Seconds from entering the queue to being answered or leaving. */
  queueSeconds: number | null;
  talkSeconds: number | null;
  wrapUpSeconds: number | null;
  disposition: string | null;
  notes: string | null;
}
