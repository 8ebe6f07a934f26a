import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { bootstrap } from './app';
import { NodeDrain } from './calls/node-drain.service';
import { ConfigError, loadConfig, type AppConfig } from './config/config';
import { createLogger } from './logger';

/** How long closing the app may take after draining before the process gives up and exits 1. */
const CLOSE_TIMEOUT_MS = 15_000;

// The API process: validate the environment, start, and on SIGTERM/SIGINT drain (see
// NodeDrain), close (HTTP, sockets, then the database) and exit 0 — or exit 1 if that takes
// longer than DRAIN_SECONDS + 15 s. A second signal while draining stops at once.
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
  const log = new Logger('Main');
  const stop = async (signal: NodeJS.Signals) => {
    log.log({ msg: 'stopping: draining first', signal, drainSeconds: config.drainSeconds });
    setTimeout(() => {
      log.fatal({ msg: 'did not stop in time; exiting', signal });
      process.exit(1);
    }, config.drainSeconds * 1000 + CLOSE_TIMEOUT_MS).unref();
    try {
      await app.get(NodeDrain).drain();
      await app.close();
      process.exit(0);
    } catch (err) {
      log.fatal({ msg: 'stopping failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    }
  };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    void stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.log({ msg: 'Switchboard API listening', port, database: config.database.dialect });
}

main().catch((err: unknown) => {
  createLogger().fatal(`Start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 'Main');
  process.exit(1);
});
