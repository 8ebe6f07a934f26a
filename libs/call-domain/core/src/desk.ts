import type { CallId, CallRecord } from './call';
import type { CallbackRequest } from './supervisor';

/** How many of the caller's earlier calls {@link CallerContext} lists. */
export const CALLER_HISTORY_LIMIT = 10;

/**
 * `GET /api/calls/:id/caller-context`: what an agent offered or taking a call sees about the
 * caller — their earlier calls (when, how they ended, with whom, the disposition and notes)
 * and the callback requests of theirs still open. Answered only to the agent the call rings
 * for or who accepted it, and to supervisors.
 */
export interface CallerContext {
  callId: CallId;
  callerId: string;
  callerName: string;
  /** Earlier calls of the caller, newest first, at most {@link CALLER_HISTORY_LIMIT}. */
  previousCalls: CallRecord[];
  /** How many earlier calls the caller made in all. */
  previousCallCount: number;
  /** The caller's callback requests not yet done, oldest first. */
  openCallbacks: CallbackRequest[];
}

/** `GET /api/me/figures`: an agent's own figures over a period (their day, on the desk). */
export interface AgentFigures {
  /** The period, ISO 8601 (inclusive start, exclusive end). */
  from: string;
  to: string;
  /** Calls the agent answered (media connected) that entered the queue in the period. */
  handled: number;
  /** Average handle time of those calls: mean of talk + wrap-up seconds; null without one. */
  averageHandleSeconds: number | null;
  /** Offers to the agent that rang out, in the period. */
  missed: number;
}

/** The handled count and AHT of an agent's calls (see shared/CONTACT-CENTER.md: AHT = talk + wrap-up, answered calls only). */
export function handleFigures(calls: readonly Pick<CallRecord, 'outcome' | 'talkSeconds' | 'wrapUpSeconds'>[]): Pick<AgentFigures, 'handled' | 'averageHandleSeconds'> {
  const answered = calls.filter((c) => c.outcome === 'answered');
  if (answered.length === 0) return { handled: 0, averageHandleSeconds: null };
  const total = answered.reduce((sum, c) => sum + (c.talkSeconds ?? 0) + (c.wrapUpSeconds ?? 0), 0);
  return { handled: answered.length, averageHandleSeconds: Math.round(total / answered.length) };
}
