import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { Logger, LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
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
 * Whether lines at `level` are written (LOG_LEVEL): for a line that would make a pino child
 * logger just to be dropped — a context of {@link withLogBindings} makes its child for its
 * first line, whatever that line's level (~0.2 ms of CPU per call setup when the call log's
 * lines were all dropped at LOG_LEVEL=warn).
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

type PinoInstance = PinoLogger['logger'];

/**
 * The async context of {@link withLogBindings}: its child logger is made the first time a line
 * is logged in it (or a context inside it needs it). Every socket event and ledger reaction
 * runs in one, and most log nothing, while making a pino child serialises its bindings. So the
 * child is made from the outer context's logger as it is then (with what `PinoLogger.assign`
 * added to it meanwhile, and the level at that moment).
 */
class BindingsStore implements Store {
  responseLogger = undefined;
  private made: PinoInstance | undefined;

  constructor(
    private readonly parent: () => PinoInstance,
    private readonly bindings: Record<string, unknown>,
  ) {}

  get logger(): PinoInstance {
    return (this.made ??= this.parent().child(this.bindings));
  }

  /** `PinoLogger.assign` replaces the context's logger with a child of it. */
  set logger(logger: PinoInstance) {
    this.made = logger;
  }
}

/**
 * Runs `work` with `bindings` (e.g. `{ callId }`) added to every line logged during it,
 * through the same async context `nestjs-pino` uses for a request's `reqId`.
 */
export function withLogBindings<T>(bindings: Record<string, unknown>, work: () => T): T {
  const outer = storage.getStore();
  const root = PinoLogger.root as PinoInstance | undefined;
  if (!outer && !root) return work();
  return storage.run(new BindingsStore(() => outer?.logger ?? (root as PinoInstance), bindings), work);
}
