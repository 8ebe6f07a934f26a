/* eslint-disable @nx/enforce-module-boundaries -- the tools are the API's own CLI: they run its
   config, database and account code from the same build, and this file is their one door in. */
import { ConfigError, loadConfig, type AppConfig } from '../../apps/api/src/config/config';
import { openMigratedDatabase } from '../../apps/api/src/database/database';
import { UsernameTakenError, UsersRepository } from '../../apps/api/src/users/users.repository';
import { createAccount } from '../../apps/api/src/users/user-accounts';
import { DEMO_PASSWORD, DEMO_USERS } from '../../apps/api/src/users/demo-users';
import type { Database } from '../../apps/api/src/database/schema';
import { SeedConflictError, seedMonth, type SeedMonthOptions } from '../../apps/api/src/supervisor/seeding/month-seeder';
import { seedHistory } from '../../apps/api/src/supervisor/seeding/history-seeder';
import { MetricsService } from '../../apps/api/src/supervisor/metrics.service';
import { ReadPool } from '../../apps/api/src/database/read-pool';
/* eslint-enable @nx/enforce-module-boundaries */
import type { Kysely } from 'kysely';

export { ConfigError, createAccount, DEMO_PASSWORD, DEMO_USERS, loadConfig, MetricsService, ReadPool, SeedConflictError, seedHistory, seedMonth, UsernameTakenError, UsersRepository };
export type { Database, SeedMonthOptions };

/** Where a tool writes: results to `info`, problems to `error`. */
export interface ToolOutput {
  info(message: string): void;
  error(message: string): void;
}

/** The terminal. */
export const consoleOutput: ToolOutput = {
  info: (message) => console.log(message),
  error: (message) => console.error(message),
};

/** Whether seeding demo calls must be refused (production: the seeded accounts have a public password); says so. */
export function refusesDemoSeeding(env: Record<string, string | undefined>, out: ToolOutput): boolean {
  if (env['NODE_ENV'] !== 'production') return false;
  out.error('Refusing to seed demo calls with NODE_ENV=production: the seeded accounts have a public password.');
  return true;
}

/** A tool's refusal: the message is printed as is and the tool exits with status 1. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** A whole-number option `--name` from `min` to `max`, `fallback` when absent; a ToolError naming it (and `usage`) otherwise. */
export function wholeNumberOption(name: string, value: string | undefined, fallback: number, min: number, max: number, usage: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ToolError(`--${name} must be a whole number from ${min} to ${max}\n${usage}`);
  return n;
}

/** An optional date option `--name` (`2026-11-23`) as that day's UTC midnight; a ToolError naming it (and `usage`) when it is not a date. */
export function dayOption(name: string, value: string | undefined, usage: string): Date | undefined {
  if (value === undefined) return undefined;
  const day = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) throw new ToolError(`--${name} must be a date like 2026-11-23\n${usage}`);
  return day;
}

/**
 * Runs `work` against the API's configured database (same environment variables as the
 * server; migrated first) and closes it; `db` is for tools that store more than accounts.
 * Returns the exit status: 0, or 1 with the reason printed for a `ToolError`, a
 * `ConfigError` or anything unexpected.
 */
export async function runWithUsers(
  env: Record<string, string | undefined>,
  out: ToolOutput,
  work: (users: UsersRepository, config: AppConfig, db: Kysely<Database>) => Promise<void>,
): Promise<number> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      out.error(err.message);
      return 1;
    }
    throw err;
  }
  const { db } = await openMigratedDatabase(config.database);
  try {
    await work(new UsersRepository(db), config, db);
    return 0;
  } catch (err) {
    out.error(err instanceof ToolError ? err.message : `Failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await db.destroy();
  }
}
