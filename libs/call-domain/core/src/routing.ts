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

/** A call waiting in the queue (not ringing) as routing sees it. */
export interface WaitingCall {
  callId: CallId;
  queuedAt: string;
  /** Agents who declined or missed this call: it is not offered to them again. */
  skippedAgentIds: readonly string[];
}

/** One offer to make: ring `agentId` for `callId`. */
export interface PlannedOffer {
  callId: CallId;
  agentId: string;
}

/**
 * The agent to offer a call to: among connected Available agents not in `skipped`, the one
 * idle longest (ties broken by id so every node picks the same). Null when nobody fits.
 */
export function chooseAgent(agents: readonly RoutingAgent[], skipped: readonly string[] = []): RoutingAgent | null {
  let best: RoutingAgent | null = null;
  for (const agent of agents) {
    if (!isOfferable(agent) || skipped.includes(agent.agentId)) continue;
    if (best === null || agent.idleSince < best.idleSince || (agent.idleSince === best.idleSince && agent.agentId < best.agentId)) {
      best = agent;
    }
  }
  return best;
}

/**
 * Which waiting calls to offer to which agents now: callers first come, first served, each
 * to the longest-idle agent still free who has not declined or missed it. A caller whom every
 * free agent has skipped does not hold up the callers behind them.
 */
export function planOffers(calls: readonly WaitingCall[], agents: readonly RoutingAgent[]): PlannedOffer[] {
  const free = [...agents];
  const plan: PlannedOffer[] = [];
  for (const call of [...calls].sort(byQueueOrder)) {
    const agent = chooseAgent(free, call.skippedAgentIds);
    if (!agent) continue;
    plan.push({ callId: call.callId, agentId: agent.agentId });
    free.splice(free.indexOf(agent), 1);
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
