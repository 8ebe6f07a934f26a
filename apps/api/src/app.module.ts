import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { AuthModule } from './auth/auth.module';
import { CallsModule } from './calls/calls.module';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeskModule } from './desk/desk.module';
import { HealthModule } from './health/health.module';
import { loggerModule } from './logger';
import { MetricsModule } from './metrics/metrics.module';
import { SupervisorModule } from './supervisor/supervisor.module';
import { UsersModule } from './users/users.module';

/** Paths the portal's SPA fallback never answers: they are the API's, 404s included. */
export const NON_PORTAL_PATHS = ['/api/{*path}', '/socket.io/{*path}', '/metrics'];

/** The root module, built from a validated configuration. */
@Module({})
export class AppModule {
  /** Wires every feature module; serves the portal only if it has been built. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggerModule(config.logLevel),
        DatabaseModule,
        AuthModule,
        UsersModule,
        HealthModule,
        MetricsModule,
        CallsModule,
        SupervisorModule,
        DeskModule,
        ...portalModule(config.portalDir),
      ],
    };
  }
}

/** Whether `portalDir` holds a built portal. */
export function hasPortalBuild(portalDir: string): boolean {
  return existsSync(join(portalDir, 'index.html'));
}

function portalModule(portalDir: string): DynamicModule[] {
  return hasPortalBuild(portalDir) ? [ServeStaticModule.forRoot({ rootPath: portalDir, exclude: NON_PORTAL_PATHS })] : [];
}
