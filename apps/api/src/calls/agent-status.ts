import type { AgentStatus } from '@switchboard/call-domain';
import type { AgentPresenceRow } from '../database/schema';

/** The public view of a presence row. */
export function toAgentStatus(row: AgentPresenceRow): AgentStatus {
  return {
    agentId: row.agent_id,
    displayName: row.display_name,
    state: row.state,
    since: row.since,
    connected: row.connected === 1,
    callId: row.call_id,
    wrapUpEndsAt: row.wrap_up_ends_at,
  };
}
