import { Controller, Get, UseGuards } from '@nestjs/common';
import type { AgentBoardEntry } from '@switchboard/call-domain';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { AgentBoardService } from './agent-board.service';

/** `GET /api/agents` for supervisors. */
@Controller('api/agents')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class AgentsController {
  constructor(private readonly board: AgentBoardService) {}

  /** Every agent with state and time in state. */
  @Get()
  list(): Promise<AgentBoardEntry[]> {
    return this.board.list();
  }
}
