import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionUser } from '@switchboard/call-domain';
import { bearerToken, JwtAuthGuard } from '../auth/jwt-auth.guard';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { ProblemException } from '../errors/problem';

/**
 * Who may scrape `/metrics`: a scraper sending `Authorization: Bearer <METRICS_TOKEN>` (when
 * that is set), or a signed-in supervisor with their access token. Anyone else gets a 401
 * problem (no or a wrong credential) or a 403 (a signed-in user who is not a supervisor).
 */
@Injectable()
export class MetricsScrapeGuard implements CanActivate {
  private readonly tokenDigest: Buffer | null;

  constructor(
    private readonly jwt: JwtAuthGuard,
    @InjectConfig() config: AppConfig,
  ) {
    this.tokenDigest = config.metricsToken === null ? null : digest(config.metricsToken);
  }

  /** Admits the metrics token or a supervisor. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { user?: SessionUser }>();
    const token = bearerToken(req.headers.authorization);
    // Compared as digests of equal length, in constant time.
    if (token !== null && this.tokenDigest !== null && timingSafeEqual(digest(token), this.tokenDigest)) return true;
    await this.jwt.canActivate(context);
    if (req.user?.role !== 'supervisor') throw new ProblemException('forbidden', 'Only supervisors and the metrics scraper may read /metrics');
    return true;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
