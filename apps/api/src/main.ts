import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootstrap } from './app';
import { ConfigError, loadConfig, type AppConfig } from './config/config';
import { createLogger } from './logger';

// The API process: validate the environment, start, and stop cleanly on SIGTERM/SIGINT
// (stop accepting, close sockets, then the database).
async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger().fatal(err.message, 'Config');
    process.exit(1);
  }
  const { app, port } = await bootstrap(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  new Logger('Main').log({ msg: 'Switchboard API listening', port, database: config.database.dialect });
}

main().catch((err: unknown) => {
  createLogger().fatal(`Start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 'Main');
  process.exit(1);
});
