import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { CallbackListQuery, CallbackRecord, CallbackRequest, Page, SessionUser } from '@switchboard/call-domain';
import { callbackListQuerySchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { CallbackRequestsService } from '../calls/callback-requests.service';

/** `GET /api/callbacks` and `POST /api/callbacks/:id/done` for supervisors; `GET /api/callbacks/:id` (a request's life) for agents too. */
@Controller('api/callbacks')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class CallbacksController {
  constructor(private readonly callbacks: CallbackRequestsService) {}

  /** One page of callback requests (open ones by default). */
  @Get()
  list(@Query(new ZodValidationPipe(callbackListQuerySchema)) query: CallbackListQuery): Promise<Page<CallbackRequest>> {
    return this.callbacks.list(query);
  }

  /** One request with its life (requested, taken, attempts, calls placed and their outcomes, done). */
  @Get(':id')
  @Roles('supervisor', 'agent')
  record(@Param('id') id: string): Promise<CallbackRecord> {
    return this.callbacks.record(id);
  }

  /** Marks a request done by the signed-in supervisor. */
  @Post(':id/done')
  @HttpCode(200)
  markDone(@Param('id') id: string, @CurrentUser() user: SessionUser): Promise<CallbackRequest> {
    return this.callbacks.markDone(id, user);
  }
}
