import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ServerMetrics } from '../metrics/server-metrics';
import { openMigratedDatabase, type DatabaseConnection } from './database';
import { ReadPool } from './read-pool';
import type { Database } from './schema';

/** Injection token of the open, migrated {@link DatabaseConnection}. */
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');
/** Injection token of the typed `Kysely<Database>` instance. */
export const DATABASE = Symbol('DATABASE');

/** Injects the typed Kysely instance: `constructor(@InjectDatabase() db: Kysely<Database>)`. */
export const InjectDatabase = (): ParameterDecorator => Inject(DATABASE);

/**
 * Opens and migrates the database at start-up (the app does not start on a failed
 * migration) and closes it when the app shuts down.
 */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE_CONNECTION,
      inject: [APP_CONFIG, ServerMetrics],
      useFactory: (config: AppConfig, metrics: ServerMetrics) => openMigratedDatabase(config.database, { log: metrics.logQuery }),
    },
    { provide: DATABASE, inject: [DATABASE_CONNECTION], useFactory: (c: DatabaseConnection) => c.db },
    { provide: ReadPool, inject: [DATABASE_CONNECTION, APP_CONFIG], useFactory: (c: DatabaseConnection, config: AppConfig) => new ReadPool(c.db, config.database) },
  ],
  exports: [DATABASE_CONNECTION, DATABASE, ReadPool],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    private readonly reads: ReadPool,
  ) {}

  /** Closes the read workers, then the SQLite file or the PostgreSQL pool, last (after HTTP and sockets). */
  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.reads.close();
    await this.db.destroy();
    new Logger('Database').log({ msg: 'database closed', signal: signal ?? null });
  }
}
