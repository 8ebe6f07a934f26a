import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import type { AgentStatus, SessionUser } from '@switchboard/call-domain';
import { supervisorAgentStateSchema, type SupervisorAgentState } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { AgentStateService } from './agent-state.service';

/** `POST /api/agents/:id/state` for supervisors: puts an agent Away or Offline ({@link AgentStateService}). */
@Controller('api/agents')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class AgentStateController {
  constructor(private readonly agentStates: AgentStateService) {}

  /**
   * The agent's status after the move.
   *
   * @throws ProblemException not_found (never signed in), invalid_state (move not allowed now)
   */
  @Post(':id/state')
  @HttpCode(200)
  setState(
    @Param('id') agentId: string,
    @Body(new ZodValidationPipe(supervisorAgentStateSchema)) body: SupervisorAgentState,
    @CurrentUser() user: SessionUser,
  ): Promise<AgentStatus> {
    return this.agentStates.setBySupervisor(agentId, body.state, user);
  }
}
