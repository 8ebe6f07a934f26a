import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { CallDetail, CallExportQuery, CallListQuery, CallPage } from '@switchboard/call-domain';
import { callExportQuerySchema, callListQuerySchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { CallExportService } from './call-export.service';
import { CallHistoryService } from './call-history.service';

/** Call history for supervisors: `GET /api/calls`, `GET /api/calls/export.csv`, `GET /api/calls/:id`. */
@Controller('api/calls')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class CallsController {
  constructor(
    private readonly history: CallHistoryService,
    private readonly exports: CallExportService,
  ) {}

  /** One page of calls, filtered and sorted; keyset paging with `after`/`before`. */
  @Get()
  list(@Query(new ZodValidationPipe(callListQuerySchema)) query: CallListQuery): Promise<CallPage> {
    return this.history.list(query);
  }

  /**
   * Every matching call as a streamed CSV download (declared before `:id`, which would match
   * it), written to the response by the export itself: it gives each batch's buffer back once
   * the socket has taken it.
   */
  @Get('export.csv')
  exportCsv(@Query(new ZodValidationPipe(callExportQuerySchema)) query: CallExportQuery, @Res() res: ServerResponse): Promise<void> {
    return this.exports.send(query, res);
  }

  /** One call with its whole timeline. */
  @Get(':id')
  detail(@Param('id') id: string): Promise<CallDetail> {
    return this.history.detail(id);
  }
}
