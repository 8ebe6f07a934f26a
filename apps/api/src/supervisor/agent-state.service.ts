import { Injectable } from '@nestjs/common';
import type { AgentStatus, SessionUser } from '@switchboard/call-domain';
import type { SupervisorAgentState } from '@switchboard/call-domain/schemas';
import { AgentPresence } from '../calls/agent-presence.service';
import { toAgentStatus } from '../calls/agent-status';
import { ProblemException } from '../errors/problem';

/**
 * A supervisor setting an agent Away or Offline, through {@link AgentPresence}: allowed only
 * where the domain's moves allow it for a supervisor (`canAgentMove`), recorded in
 * `agent_state_changes` with who did it and announced over the socket like any other change.
 */
@Injectable()
export class AgentStateService {
  constructor(private readonly presence: AgentPresence) {}

  /**
   * Moves `agentId` to `state` on behalf of `supervisor`; the agent's status after the move.
   *
   * @throws ProblemException not_found (never signed in), invalid_state (move not allowed now)
   */
  async setBySupervisor(agentId: string, state: SupervisorAgentState['state'], supervisor: SessionUser): Promise<AgentStatus> {
    const current = await this.presence.get(agentId);
    if (!current) throw new ProblemException('not_found', 'No agent with that id has signed in');
    const row = await this.presence.move(agentId, { to: state, by: 'supervisor', reason: 'set by supervisor', byUserId: supervisor.id });
    if (!row) throw new ProblemException('invalid_state', `A supervisor cannot set an agent who is ${current.state} to ${state}`);
    return toAgentStatus(row);
  }
}
