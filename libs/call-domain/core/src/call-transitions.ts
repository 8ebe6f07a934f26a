import type { CallDirection, CallOutcome, CallParty, CallState, EndReason } from './call';

/**
 * The moves a call may make. A ringing call goes back to `queued` when the agent declines,
 * rings out or is lost, and keeps its place (its `queuedAt` does not change).
 */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  queued: ['ringing', 'ended'],
  ringing: ['queued', 'accepted', 'ended'],
  accepted: ['connected', 'ended'],
  connected: ['ended'],
  ended: [],
};

/**
 * The moves of an outbound call (an agent's callback): it starts ringing at the student, who
 * accepts it (`accepted`) or not (declined, no answer, the agent gave up: `ended`). It never
 * waits in the queue.
 */
export const OUTBOUND_CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  queued: [],
  ringing: ['accepted', 'ended'],
  accepted: ['connected', 'ended'],
  connected: ['ended'],
  ended: [],
};

/** The state a new call is stored in: an inbound call queues, an outbound one rings at once. */
export const CALL_START_STATES: Readonly<Record<CallDirection, CallState>> = { inbound: 'queued', outbound: 'ringing' };

/** Whether a call in `from` may move to `to` (an inbound call unless `direction` says otherwise). */
export function canCallMove(from: CallState, to: CallState, direction: CallDirection = 'inbound'): boolean {
  return (direction === 'outbound' ? OUTBOUND_CALL_TRANSITIONS : CALL_TRANSITIONS)[from].includes(to);
}

/** What decides a call's outcome when it ends. */
export interface EndFacts {
  /** The state the call was in just before it ended. */
  state: CallState;
  reason: EndReason;
  queuedAt: string;
  endedAt: string;
  /** The short-abandon window, in seconds (default 5). */
  shortAbandonSeconds: number;
  /** Absent: inbound. */
  direction?: CallDirection;
}

/**
 * The one outcome of a call that ends now (shared/CONTACT-CENTER.md):
 * - still waiting (queued or ringing): `unanswered` at the maximum wait, otherwise the caller
 *   left: `short_abandon` within the short-abandon window, else `abandoned`;
 * - an outbound call (a callback) the student never accepted: `unanswered`, whatever ended it
 *   (declined, no answer, the agent gave up) — nobody abandoned a queue;
 * - accepted but media never connected: `failed`, whatever ended it;
 * - media connected: `answered`, however it ended afterwards.
 *
 * @throws Error for a call that has already ended.
 */
export function outcomeOf(facts: EndFacts): CallOutcome {
  switch (facts.state) {
    case 'queued':
    case 'ringing': {
      if (facts.reason === 'max_wait' || facts.direction === 'outbound') return 'unanswered';
      const waitedMs = Date.parse(facts.endedAt) - Date.parse(facts.queuedAt);
      return waitedMs <= facts.shortAbandonSeconds * 1000 ? 'short_abandon' : 'abandoned';
    }
    case 'accepted':
      return 'failed';
    case 'connected':
      return 'answered';
    case 'ended':
      throw new Error('The call has already ended');
  }
}

/** The timings stored with an ended call, in milliseconds (null when they do not apply). */
export interface CallDurations {
  /** From entering the queue to being answered (accepted), or to leaving unanswered. */
  queueMs: number;
  /** From media connecting to the end; null if media never connected. */
  talkMs: number | null;
}

/** The queue and talk times of a call that ends at `endedAt`. */
export function durationsOf(call: { queuedAt: string; answeredAt: string | null; connectedAt: string | null }, endedAt: string): CallDurations {
  const end = Date.parse(endedAt);
  const answered = call.answeredAt === null ? end : Date.parse(call.answeredAt);
  return {
    queueMs: Math.max(0, answered - Date.parse(call.queuedAt)),
    talkMs: call.connectedAt === null ? null : Math.max(0, end - Date.parse(call.connectedAt)),
  };
}

/** The words a timeline shows for an ended call, e.g. "abandoned (cancelled, ended by caller)". */
export function describeEnd(outcome: CallOutcome, reason: EndReason, endedBy: CallParty): string {
  return `${outcome.replace(/_/g, ' ')} (${reason.replace(/_/g, ' ')}, ended by ${endedBy})`;
}
