import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { LOG_LEVELS, type AppConfig } from './config/config';

/**
 * The API's one logger: one JSON object per line on stdout/stderr, at `LOG_LEVEL` and above.
 * Nest's own messages and every `new Logger(context)` go through it.
 */
export function createLogger(level: AppConfig['logLevel'] = 'log'): ConsoleLogger {
  const levels = LOG_LEVELS.slice(LOG_LEVELS.indexOf(level)) as LogLevel[];
  return new ConsoleLogger({ json: true, colors: false, logLevels: levels });
}
