import type { AgentState } from './agent';
import { isOfferable } from './agent-transitions';
import type { CallId } from './call';

/** An agent as routing sees them. */
export interface RoutingAgent {
  agentId: string;
  state: AgentState;
  connected: boolean;
  /** Since when the agent has been idle: their last call's end or last return to Available (ISO 8601). */
  idleSince: string;
}

/** An agent who passed on a call: declined it, or let it ring out (missed). */
export interface CallPass {
  agentId: string;
  reason: 'declined' | 'missed';
  /** When (ISO 8601). */
  at: string;
}

/** A call waiting in the queue (not ringing) as routing sees it. */
export interface WaitingCall {
  callId: CallId;
  queuedAt: string;
  /** Agents who declined or missed this call: offered it again only when nobody else is free. */
  passes: readonly CallPass[];
}

/** One offer to make: ring `agentId` for `callId`. */
export interface PlannedOffer {
  callId: CallId;
  agentId: string;
}

/** When routing runs, and how long a decliner is not offered the call they declined. */
export interface RoutingClock {
  /** Now (ISO 8601). */
  now: string;
  /** The cool-down after a decline (ms); the ring timeout, so Decline is never an instant re-ring. */
  declineCooldownMs: number;
}

/**
 * When `agentId` may be offered `call` again after passing on it: null if they never passed
 * (first choice); otherwise the end of the cool-down after their latest decline, or the
 * latest pass itself for a missed call (a Missed agent is offerable once back to Available).
 */
export function passedUntil(call: Pick<WaitingCall, 'passes'>, agentId: string, declineCooldownMs: number): string | null {
  let until: string | null = null;
  for (const pass of call.passes) {
    if (pass.agentId !== agentId) continue;
    const end = pass.reason === 'declined' ? new Date(Date.parse(pass.at) + declineCooldownMs).toISOString() : pass.at;
    if (until === null || end > until) until = end;
  }
  return until;
}

/**
 * The agent to offer a call to, among connected Available agents, the one idle longest (ties
 * broken by id so every node picks the same). With `fallback` false, only agents who never
 * declined or missed this call; with `fallback` true, only agents who did and whose decline
 * cool-down is over at `clock.now`. Null when nobody fits.
 */
export function chooseAgent(agents: readonly RoutingAgent[], call: Pick<WaitingCall, 'passes'> = { passes: [] }, clock?: RoutingClock, fallback = false): RoutingAgent | null {
  let best: RoutingAgent | null = null;
  for (const agent of agents) {
    if (!isOfferable(agent)) continue;
    const until = passedUntil(call, agent.agentId, clock?.declineCooldownMs ?? 0);
    if (fallback ? until === null || !clock || until > clock.now : until !== null) continue;
    if (best === null || agent.idleSince < best.idleSince || (agent.idleSince === best.idleSince && agent.agentId < best.agentId)) {
      best = agent;
    }
  }
  return best;
}

/**
 * Which waiting calls to offer to which agents now: callers first come, first served, each
 * to the longest-idle free agent who has not declined or missed it. Only then, calls left
 * over go (first come, first served) to a free agent who passed on them: a Missed agent back
 * at Available, or a decliner whose cool-down is over — so a queue never sits while an agent
 * is free for good, and a caller every free agent skipped does not hold up the callers behind.
 */
export function planOffers(calls: readonly WaitingCall[], agents: readonly RoutingAgent[], clock: RoutingClock): PlannedOffer[] {
  const free = [...agents];
  const plan: PlannedOffer[] = [];
  const ordered = [...calls].sort(byQueueOrder);
  for (const fallback of [false, true]) {
    for (const call of ordered) {
      if (plan.some((p) => p.callId === call.callId)) continue;
      const agent = chooseAgent(free, call, clock, fallback);
      if (!agent) continue;
      plan.push({ callId: call.callId, agentId: agent.agentId });
      free.splice(free.indexOf(agent), 1);
    }
  }
  return plan;
}

/**
 * A caller's place in line among the calls still waiting (queued or ringing), 1 being next;
 * null if the call is not waiting.
 */
export function queuePosition(waiting: readonly { callId: CallId; queuedAt: string }[], callId: CallId): number | null {
  const index = [...waiting].sort(byQueueOrder).findIndex((c) => c.callId === callId);
  return index < 0 ? null : index + 1;
}

/**
 * Estimated seconds until a caller at `position` is answered: the mean queue time of recently
 * answered calls, once per caller ahead and their own. Null when there is no recent answer to
 * go by.
 */
export function estimateWaitSeconds(recentQueueMs: readonly number[], position: number): number | null {
  if (recentQueueMs.length === 0 || position < 1) return null;
  const mean = recentQueueMs.reduce((sum, ms) => sum + ms, 0) / recentQueueMs.length;
  return Math.round((mean * position) / 1000);
}

function byQueueOrder(a: { callId: CallId; queuedAt: string }, b: { callId: CallId; queuedAt: string }): number {
  return a.queuedAt < b.queuedAt ? -1 : a.queuedAt > b.queuedAt ? 1 : a.callId < b.callId ? -1 : a.callId > b.callId ? 1 : 0;
}
