import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { NodeDrainState } from './node-drain-state';
import { RedisPing } from './redis-ping';

/**
 * `GET /api/health`, `/api/health/live` and `/api/health/ready` (through `@nestjs/terminus`).
 * Global because {@link NodeDrainState} is read where calls are taken.
 */
@Global()
@Module({
  // Readiness failures are answered (503) and the causes are logged where they happen.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [NodeDrainState, RedisPing],
  exports: [NodeDrainState],
})
export class HealthModule {}
