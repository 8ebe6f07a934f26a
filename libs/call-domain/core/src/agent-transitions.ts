import type { AgentState } from './agent';

/** Who changes an agent's state: the agent, a supervisor, or the system (routing, timers, presence). */
export type AgentStateActor = 'agent' | 'supervisor' | 'system';

type Moves = Partial<Record<AgentState, readonly AgentStateActor[]>>;

/**
 * Every allowed move, `from → to → who may make it`. Agents pick Available or Away (the way
 * back from Missed is one click); supervisors may put an idle agent (Available or Missed) on a
 * break and sign out an idle or away one, never interrupting an offer, a call or its wrap-up;
 * the system rings, connects and wraps up, and signs out an agent whose connection is gone.
 * An agent who places a callback (an outbound call) goes On call from Available or Away
 * themselves; it ends in wrap-up as any call.
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentState, Moves>> = {
  offline: { available: ['agent'], away: ['agent'] },
  available: { away: ['agent', 'supervisor'], ringing: ['system'], on_call: ['agent'], offline: ['agent', 'supervisor', 'system'] },
  away: { available: ['agent'], on_call: ['agent'], offline: ['agent', 'supervisor', 'system'] },
  // Declining is the agent's move; a withdrawn offer (caller left, call taken) is the system's.
  ringing: { available: ['agent', 'system'], on_call: ['agent'], missed: ['system'], offline: ['system'] },
  on_call: { wrap_up: ['system'], offline: ['system'] },
  wrap_up: { available: ['agent', 'system'], offline: ['system'] },
  missed: { available: ['agent'], away: ['agent', 'supervisor'], offline: ['agent', 'supervisor', 'system'] },
};

/** Whether `by` may move an agent from `from` to `to` (staying put is not a move). */
export function canAgentMove(from: AgentState, to: AgentState, by: AgentStateActor): boolean {
  return AGENT_TRANSITIONS[from][to]?.includes(by) ?? false;
}

/** The states from which `by` may move an agent to `to`. */
export function agentStatesLeadingTo(to: AgentState, by: AgentStateActor): AgentState[] {
  return (Object.keys(AGENT_TRANSITIONS) as AgentState[]).filter((from) => canAgentMove(from, to, by));
}

/** Whether an agent in this state is signed in and working (not offline, away or missed). */
export function isStaffed(state: AgentState): boolean {
  return state === 'available' || state === 'ringing' || state === 'on_call' || state === 'wrap_up';
}

/** Whether a call may be offered to this agent now: Available, with a live connection. */
export function isOfferable(agent: { state: AgentState; connected: boolean }): boolean {
  return agent.state === 'available' && agent.connected;
}
