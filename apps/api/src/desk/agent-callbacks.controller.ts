import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { CallbackListQuery, CallbackRequest, Page, SessionUser } from '@switchboard/call-domain';
import { callbackAttemptSchema, callbackListQuerySchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { CallbackRequestsService } from '../calls/callback-requests.service';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';

/**
 * Callback requests as agents work through them (`/api/agent/callbacks`): the list (with who
 * took each and whether its student is signed in), take, record an attempt with a note, mark
 * done; one request's life is `GET /api/callbacks/:id` (agents and supervisors). Calling the student back is the socket event `placeCallback`.
 */
@Controller('api/agent/callbacks')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('agent')
export class AgentCallbacksController {
  constructor(private readonly callbacks: CallbackRequestsService) {}

  /** One page of callback requests (open ones, oldest first, by default). */
  @Get()
  list(@Query(new ZodValidationPipe(callbackListQuerySchema)) query: CallbackListQuery): Promise<Page<CallbackRequest>> {
    return this.callbacks.list(query);
  }

  /** Takes the request: only this agent may then call the student or record attempts. */
  @Post(':id/take')
  @HttpCode(200)
  take(@Param('id') id: string, @CurrentUser() user: SessionUser): Promise<CallbackRequest> {
    return this.callbacks.take(id, user);
  }

  /** Records an attempt with a note (the agent who took it). */
  @Post(':id/attempts')
  @HttpCode(200)
  attempt(@Param('id') id: string, @CurrentUser() user: SessionUser, @Body(new ZodValidationPipe(callbackAttemptSchema)) body: { note: string }): Promise<CallbackRequest> {
    return this.callbacks.recordAttempt(id, user, body.note);
  }

  /** Marks the request done (the agent who took it). */
  @Post(':id/done')
  @HttpCode(200)
  done(@Param('id') id: string, @CurrentUser() user: SessionUser): Promise<CallbackRequest> {
    return this.callbacks.markDone(id, user);
  }
}
