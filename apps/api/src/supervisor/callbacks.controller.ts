import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { CallbackListQuery, CallbackRequest, Page, SessionUser } from '@switchboard/call-domain';
import { callbackListQuerySchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { CurrentUser, Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { CallbackRequestsService } from './callback-requests.service';

/** `GET /api/callbacks` and `POST /api/callbacks/:id/done` for supervisors. */
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

  /** Marks a request done by the signed-in supervisor. */
  @Post(':id/done')
  @HttpCode(200)
  markDone(@Param('id') id: string, @CurrentUser() user: SessionUser): Promise<CallbackRequest> {
    return this.callbacks.markDone(id, user);
  }
}
