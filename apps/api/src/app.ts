import type { AddressInfo } from 'node:net';
import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AppModule, hasPortalBuild } from './app.module';
import { recoveryWindowMs } from './auth/socket-auth';
import { DispatchingIoAdapter } from './realtime/dispatching-io-adapter';
import type { AppConfig } from './config/config';
import { ProblemFilter, isBodyParserError, sendProblem, toProblem } from './errors/problem.filter';
import { problem, STATUS_BY_CODE } from './errors/problem';
import { StorableTextPipe } from './errors/storable-text.pipe';
import { ServerMetrics } from './metrics/server-metrics';
import { securityHeaders } from './security-headers';
import { requestLogContext } from './logger';

/** Largest JSON body accepted; bigger ones get a 400 `payload_too_large` problem (issue #2: bad input is a 400). */
export const JSON_BODY_LIMIT = '64kb';

/** The answer to a JSON body over {@link JSON_BODY_LIMIT}. */
export const BODY_TOO_LARGE_PROBLEM = problem(STATUS_BY_CODE.payload_too_large, 'payload_too_large', 'The request body is larger than the 64 KB limit');

function isBodyTooLarge(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.too.large';
}

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /** Replaces the JSON logger (tests may pass a silent one). */
  logger?: LoggerService;
}

/** A started API and where to reach it. */
export interface RunningApp {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>`, handy when `config.port` was 0. */
  url: string;
  port: number;
}

/**
 * Builds the whole API from a validated configuration, not yet listening: security headers
 * and a Content Security Policy on every answer, database opened and migrated, JSON bodies up to 64 KB, text no database stores refused in every body, query
 * and path parameter, problem+json errors, Socket.IO authenticated at the
 * handshake, the portal served if built.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    // Start-up messages wait for the app's own logger (nestjs-pino, LOG_LEVEL), set just below.
    ...(options.logger ? { logger: options.logger } : { bufferLogs: true }),
    bodyParser: false,
    // Keep-alive connections would hold app.close() open until they time out.
    forceCloseConnections: true,
  });
  if (!options.logger) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(requestLogContext());
  app.use(securityHeaders());
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  // Body-parser errors happen before routing, so Nest's filters never see them (and
  // ServeStaticModule would turn them into 404s): answer them here, in the same shape.
  const bodyLog = new NestLogger('RequestBody');
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!err) return next();
    const answer = isBodyTooLarge(err) ? BODY_TOO_LARGE_PROBLEM : toProblem(err);
    const entry = { msg: 'request body refused', method: req.method, path: req.path, status: answer.status, contentEncoding: req.headers['content-encoding'] ?? null, reason: err instanceof Error ? err.message : String(err) };
    if (answer.status >= 500 || !isBodyParserError(err)) bodyLog.error({ ...entry, stack: err instanceof Error ? err.stack : undefined });
    else bodyLog.warn(entry);
    sendProblem(res, answer);
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(new StorableTextPipe());
  const gate = { allowedOrigins: config.allowedOrigins, maxConnectionsPerAddress: config.maxConnectionsPerAddress };
  app.useWebSocketAdapter(new DispatchingIoAdapter(app, { gate, recoveryWindowMs: recoveryWindowMs(config) }, app.get(ServerMetrics).socketEventSeconds));
  if (!hasPortalBuild(config.portalDir)) {
    new NestLogger('Portal').warn(`No portal build in ${config.portalDir} (run \`npm run build:portal\`); serving the API only`);
  }
  return app;
}

/**
 * Creates the app and listens on `config.port` (0 picks a free port). Call
 * `app.enableShutdownHooks()` first-hand in a process that should stop on SIGTERM/SIGINT;
 * tests just `await app.close()`.
 */
export async function bootstrap(config: AppConfig, options: CreateAppOptions = {}): Promise<RunningApp> {
  const app = await createApp(config, options);
  await app.listen(config.port);
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, port };
}
