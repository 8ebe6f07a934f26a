import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { AgentFigures, CallerContext, CallListQuery, CallRecord, Page, SessionUser } from '@switchboard/call-domain';
import { agentCallListQuerySchema, agentFiguresQuerySchema, callIdSchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { DeskQueries } from './desk-queries.service';

/**
 * The agent's desk over HTTP: `GET /api/calls/:id/caller-context` (the caller of a call that
 * is the agent's), `GET /api/me/calls` and `GET /api/me/figures` (the agent's own calls and day).
 */
@Controller('api')
@UseGuards(JwtAuthGuard, RolesGuard)
export class DeskController {
  constructor(private readonly desk: DeskQueries) {}

  /** The caller's earlier calls and open callback requests. */
  @Get('calls/:id/caller-context')
  @Roles('agent', 'supervisor')
  callerContext(@CurrentUser() user: SessionUser, @Param('id', new ZodValidationPipe(callIdSchema)) id: string): Promise<CallerContext> {
    return this.desk.callerContext(user, id);
  }

  /** One page of the signed-in agent's own calls. */
  @Get('me/calls')
  @Roles('agent')
  ownCalls(@CurrentUser() user: SessionUser, @Query(new ZodValidationPipe(agentCallListQuerySchema)) query: Omit<CallListQuery, 'agentId'>): Promise<Page<CallRecord>> {
    return this.desk.ownCalls(user, query);
  }

  /** The signed-in agent's figures over a period. */
  @Get('me/figures')
  @Roles('agent')
  figures(@CurrentUser() user: SessionUser, @Query(new ZodValidationPipe(agentFiguresQuerySchema)) query: { from: string; to: string }): Promise<AgentFigures> {
    return this.desk.figures(user, query.from, query.to);
  }
}
