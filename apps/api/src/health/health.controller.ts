import { Controller, Get, Inject } from '@nestjs/common';
import type { SqlDialect } from '../config/config';
import { isDatabaseReachable, type DatabaseConnection } from '../database/database';
import { DATABASE_CONNECTION } from '../database/database.module';
import { ProblemException } from '../errors/problem';

/** What `GET /api/health` answers when the API can serve. */
export interface HealthReport {
  status: 'ok';
  database: { dialect: SqlDialect; ok: true };
}

/** `GET /api/health`: for load balancers and the start script. */
@Controller('api/health')
export class HealthController {
  constructor(@Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection) {}

  /** 200 when the database answers, a 503 problem otherwise. */
  @Get()
  async check(): Promise<HealthReport> {
    const { db, dialect } = this.connection;
    if (!(await isDatabaseReachable(db))) {
      throw new ProblemException('internal', `The ${dialect} database does not answer`, undefined, 503);
    }
    return { status: 'ok', database: { dialect, ok: true } };
  }
}
