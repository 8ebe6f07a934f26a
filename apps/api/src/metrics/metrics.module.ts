import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { AuthModule } from '../auth/auth.module';
import { CallsModule } from '../calls/calls.module';
import { MetricsScrapeController } from './metrics-scrape.controller';
import { ServerMetrics } from './server-metrics';
import { StoredStateMetrics } from './stored-state-metrics';

/**
 * Prometheus metrics at `GET /metrics` (`@willsoto/nestjs-prometheus` with the app's own
 * registry; see {@link ServerMetrics} and {@link StoredStateMetrics}). Global so the database
 * and the socket adapter can time their work into {@link ServerMetrics}.
 */
@Global()
@Module({
  imports: [
    CallsModule,
    PrometheusModule.registerAsync({
      imports: [AuthModule],
      controller: MetricsScrapeController,
      // Default metrics go to the app's registry (ServerMetrics), not prom-client's global one.
      useFactory: () => ({ defaultMetrics: { enabled: false } }),
    }),
  ],
  providers: [ServerMetrics, StoredStateMetrics],
  exports: [ServerMetrics],
})
export class MetricsModule {}
