import { join } from 'node:path';
import type { CreateUserRequest, SessionUser } from '@switchboard/call-domain';
import { bootstrap, type RunningApp } from '../app';
import { loadConfig, type AppConfig } from '../config/config';
import { UsersRepository } from '../users/users.repository';
import { createAccount } from '../users/user-accounts';
import { createTempDir } from './temp-dir';

/**
 * A configuration for tests: a fresh temp DATA_DIR (SQLite), port 0, a fixed JWT secret,
 * quiet logs, no portal, and a per-address sign-in budget no suite's sign-ins from 127.0.0.1
 * reach (the spraying suite sets its own). `env` adds or overrides environment variables (e.g. DATABASE_URL,
 * ACCESS_TOKEN_TTL, PORTAL_DIR).
 */
export function testConfig(env: Record<string, string> = {}): { config: AppConfig; removeDataDir(): void } {
  const dir = createTempDir();
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dir.path,
    JWT_SECRET: 'test-secret-that-is-long-enough-for-production-0123',
    PORTAL_DIR: join(dir.path, 'no-portal'),
    LOG_LEVEL: 'error',
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
    ...env,
  });
  return { config, removeDataDir: dir.remove };
}

/** A running API for one e2e suite. */
export interface TestApp extends RunningApp {
  config: AppConfig;
  users: UsersRepository;
  /** Creates accounts directly in the database. */
  seed(requests: readonly CreateUserRequest[]): Promise<SessionUser[]>;
  /** Closes the app (sockets, HTTP, database) and deletes its DATA_DIR. */
  close(): Promise<void>;
}

/** Boots the real app (see {@link testConfig}) on a random port. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { config, removeDataDir } = testConfig(env);
  const running = await bootstrap(config);
  const users = running.app.get(UsersRepository);
  return {
    ...running,
    config,
    users,
    seed: (requests) => Promise.all(requests.map((r) => createAccount(users, r))),
    close: async () => {
      await running.app.close();
      removeDataDir();
    },
  };
}
