import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import type { SqlDialect } from '../config/config';
import { isDatabaseReachable, type DatabaseConnection } from '../database/database';
import { DATABASE_CONNECTION } from '../database/database.module';
import { ProblemException } from '../errors/problem';
import { NodeDrainState } from './node-drain-state';
import { PROBE_TIMEOUT_MS, RedisPing, withTimeout } from './redis-ping';

/** What `GET /api/health` answers when the API can serve. */
export interface HealthReport {
  status: 'ok';
  database: { dialect: SqlDialect; ok: true };
}

/**
 * Health for load balancers, orchestrators and the start script:
 * - `GET /api/health` (kept as it always was): 200 while the database answers, else a 503 problem;
 * - `GET /api/health/live`: 200 while the process serves HTTP at all (restart it otherwise);
 * - `GET /api/health/ready`: 200 while this node should get traffic — the database answers,
 *   Redis answers when REDIS_URL is set, and the node is not draining; else a 503 problem
 *   naming what is down.
 */
@Controller('api/health')
export class HealthController {
  constructor(
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisPing,
    private readonly drain: NodeDrainState,
  ) {}

  /** 200 when the database answers, a 503 problem otherwise. */
  @Get()
  async check(): Promise<HealthReport> {
    const { db, dialect } = this.connection;
    if (!(await isDatabaseReachable(db))) {
      throw new ProblemException('internal', `The ${dialect} database does not answer`, undefined, 503);
    }
    return { status: 'ok', database: { dialect, ok: true } };
  }

  /** Liveness: answering is the check. */
  @Get('live')
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: database, Redis (if configured), not draining. */
  @Get('ready')
  async ready(): Promise<HealthCheckResult> {
    const checks = [() => this.databaseUp(), () => this.notDraining(), ...(this.redis.configured ? [() => this.redisUp()] : [])];
    try {
      return await this.health.check(checks);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const { error } = err.getResponse() as HealthCheckResult;
      const down = Object.entries(error ?? {}).map(([key, value]) => `${key}: ${String(value?.['message'] ?? 'down')}`);
      throw new ProblemException('unavailable', `Not ready (${down.join('; ')})`);
    }
  }

  private async databaseUp(): Promise<HealthIndicatorResult> {
    const { db, dialect } = this.connection;
    const check = this.indicators.check('database');
    const reachable = await withTimeout(isDatabaseReachable(db), PROBE_TIMEOUT_MS).catch(() => false);
    return reachable ? check.up({ dialect }) : check.down({ dialect, message: `the ${dialect} database does not answer` });
  }

  private async redisUp(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('redis');
    return (await this.redis.answers()) ? check.up() : check.down({ message: 'Redis does not answer' });
  }

  private notDraining(): HealthIndicatorResult {
    const check = this.indicators.check('node');
    return this.drain.draining ? check.down({ message: 'draining, about to stop' }) : check.up();
  }
}
