import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { MetricsScrapeGuard } from './metrics-scrape.guard';
import { ServerMetrics } from './server-metrics';

/**
 * `GET /metrics`: this node's metrics in Prometheus' text format, from the app's own registry,
 * for the metrics token or a supervisor. (`PrometheusModule.registerAsync` does not set the
 * path of a custom controller, so it is declared here.)
 */
@Controller('metrics')
@UseGuards(MetricsScrapeGuard)
export class MetricsScrapeController extends PrometheusController {
  constructor(private readonly metrics: ServerMetrics) {
    super();
  }

  /** The exposition text. */
  @Get()
  override async index(@Res({ passthrough: true }) response: Response): Promise<string> {
    response.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
