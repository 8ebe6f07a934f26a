/**
 * An agent's state (see shared/CONTACT-CENTER.md). `available` is the only state in which
 * calls are offered. `away` and `offline` are chosen by the agent or a supervisor; the others
 * are set by the system.
 */
export const AGENT_STATES = ['offline', 'available', 'away', 'ringing', 'on_call', 'wrap_up', 'missed'] as const;
/** See {@link AGENT_STATES}. */
export type AgentState = (typeof AGENT_STATES)[number];

/** Labels shown on screen for each state. */
export const AGENT_STATE_LABELS: Readonly<Record<AgentState, string>> = {
  offline: 'Offline',
  available: 'Available',
  away: 'Away',
  ringing: 'Ringing',
  on_call: 'On call',
  wrap_up: 'Wrap-up',
  missed: 'Missed',
};

/** The states an agent may pick for themselves. */
export type SelectableAgentState = 'available' | 'away';

/** An agent's presence as the server knows it. */
export interface AgentStatus {
  agentId: string;
  displayName: string;
  state: AgentState;
  /** When the agent entered `state` (ISO 8601). */
  since: string;
  /** Whether at least one of the agent's tabs is connected (false during the grace period). */
  connected: boolean;
  /** The call the agent is ringing for, talking on, or wrapping up, if any. */
  callId: string | null;
  /** End of wrap-up (ISO 8601), while in `wrap_up`. */
  wrapUpEndsAt: string | null;
}
