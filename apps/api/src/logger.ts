import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { pino, stdTimeFunctions, type Level } from 'pino';
import type { AppConfig } from './config/config';

// Level names and ISO times read better than pino's numbers in a log viewer.
const root = pino({ formatters: { level: (label: string) => ({ level: label }) }, timestamp: stdTimeFunctions.isoTime });

/** Nest's log levels (LOG_LEVEL) as pino's. */
const PINO_LEVELS: Record<AppConfig['logLevel'], Level> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };

/** A client's own request id is kept if it looks like one; otherwise the API makes one. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Requests not logged when they succeed: probes and scrapes, every few seconds. */
const QUIET_PATHS = /^\/(api\/health(\/|$|\?)|metrics(\?|$))/;

/**
 * The API's one logger (`nestjs-pino`): one JSON object per line on stdout, at LOG_LEVEL and
 * above. Every HTTP request gets an id (the client's `X-Request-Id` if it sent a sane one, else
 * a UUID), answered in `X-Request-Id` and carried as `reqId` by every line logged while
 * answering it, the request's own completion line included. Headers are not logged.
 */
export function loggerParams(level: AppConfig['logLevel']): Params {
  // One pino instance per process (nestjs-pino keeps the first one it sees for lines logged
  // outside requests), set to the level of the app started last: the API runs one app per
  // process; tests that start several get the last one's level.
  root.level = PINO_LEVELS[level];
  return {
    pinoHttp: {
      logger: root,
      quietReqLogger: true,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') && (req.method === 'GET' || req.method === 'HEAD') },
      customSuccessMessage: () => 'request completed',
    },
  };
}

/**
 * Whether lines at `level` are written (LOG_LEVEL): a line made on the call path (the call
 * log's, several per call setup) is not made at all when it would be dropped.
 */
export function logsAt(level: AppConfig['logLevel']): boolean {
  return root.isLevelEnabled(PINO_LEVELS[level]);
}

/** The module that installs the logger and its per-request middleware. */
export function loggerModule(level: AppConfig['logLevel']): DynamicModule {
  return LoggerModule.forRoot(loggerParams(level));
}

/**
 * A logger for what happens outside the app (a refused configuration, a failed start-up).
 * Inside, Nest's `Logger` (`new Logger(context)`) goes to the same pino output.
 */
export function createLogger(level: AppConfig['logLevel'] = 'log'): Logger {
  const params = loggerParams(level);
  return new Logger(new PinoLogger(params), params);
}

let requestsInFlight = 0;

/**
 * Express middleware that keeps nestjs-pino's request context (the `AsyncLocalStorage` that
 * gives every line logged while answering a request its `reqId`) switched on only while a
 * request is being answered. An enabled `AsyncLocalStorage` makes Node 20 run async hooks on
 * every promise the process creates, socket events and ledger transactions included: ~6 % of
 * the API's CPU under the gateway bench, for a context nothing outside requests reads. It is
 * switched off when the last request in flight has closed; nestjs-pino's middleware switches
 * it on again for the next one. Work a request left running after its answer (rare) logs
 * without its `reqId` once no request is in flight. Socket events, deadlines and ledger
 * reactions run outside any context: their lines name what they are about themselves (e.g.
 * `callId`).
 */
export function requestLogContext(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (_req, res, next) => {
    requestsInFlight++;
    res.once('close', () => {
      if (--requestsInFlight === 0) storage.disable();
    });
    next();
  };
}
