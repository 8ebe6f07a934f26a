import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import type { MetricsQuery, MetricsReport } from '@switchboard/call-domain';
import { metricsQuerySchema } from '@switchboard/call-domain/schemas';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Roles } from '../auth/roles.decorator';
import { RolesGuard } from '../auth/roles.guard';
import { ZodValidationPipe } from '../errors/zod-validation.pipe';
import { MetricsService } from './metrics.service';

/** `GET /api/metrics` for supervisors. */
@Controller('api/metrics')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('supervisor')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** The figures of a period, with their definitions and thresholds. */
  @Get()
  report(@Query(new ZodValidationPipe(metricsQuerySchema)) query: MetricsQuery): Promise<MetricsReport> {
    return this.metrics.report(query);
  }
}
