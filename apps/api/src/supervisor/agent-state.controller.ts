import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { AgentStatus, SessionUser } from '@switchboard/call-domain';
import { z } from 'zod';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { AgentPresence, toAgentStatus } from '../calls/agent-presence.service';
import { ProblemException } from '../errors/problem';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';

/** `POST /api/agents/:id/state` body: the state a supervisor puts an agent in. */
export const supervisorAgentStateSchema = z.object({ state: z.enum(['away', 'offline']) }).strict();

/** See {@link supervisorAgentStateSchema}. */
export type SupervisorAgentState = z.output<typeof supervisorAgentStateSchema>;

/**
 * `POST /api/agents/:id/state` for supervisors: puts an agent Away or Offline if the domain's
 * moves allow it for a supervisor (`canAgentMove`), recorded in `agent_state_changes` with
 * who did it and announced over the socket like any other change.
 */
@Controller('api/agents')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class AgentStateController {
  constructor(private readonly presence: AgentPresence) {}

  /**
   * The agent's status after the move.
   *
   * @throws ProblemException not_found (never signed in), invalid_state (move not allowed now)
   */
  @Post(':id/state')
  @HttpCode(200)
  async setState(
    @Param('id') agentId: string,
    @Body(new ZodValidationPipe(supervisorAgentStateSchema)) body: SupervisorAgentState,
    @CurrentUser() user: SessionUser,
  ): Promise<AgentStatus> {
    const current = await this.presence.get(agentId);
    if (!current) throw new ProblemException('not_found', 'No agent with that id has signed in');
    const row = await this.presence.move(agentId, { to: body.state, by: 'supervisor', reason: 'set by supervisor', byUserId: user.id });
    if (!row) throw new ProblemException('invalid_state', `A supervisor cannot set an agent who is ${current.state} to ${body.state}`);
    return toAgentStatus(row);
  }
}
