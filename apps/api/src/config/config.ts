import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** The shortest JWT secret accepted in production (characters). */
export const MIN_JWT_SECRET_LENGTH = 32;

/** Where the database lives: an embedded SQLite file, or a PostgreSQL server. */
export type SqlDialect = 'sqlite' | 'postgres';

/** Log levels the structured logger can be limited to, most verbose first. */
export const LOG_LEVELS = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const;

/** The API's settings, read once from the environment and validated at start-up. */
export interface AppConfig {
  production: boolean;
  /** HTTP and Socket.IO port; 0 picks a free one (tests). */
  port: number;
  /** Absolute directory for the SQLite file and the generated JWT secret. */
  dataDir: string;
  database: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };
  jwtSecret: string;
  /** Lifetime of an access token, in seconds. */
  accessTokenTtlSeconds: number;
  /** Sign-in attempts allowed per minute for one client address and username. */
  loginAttemptsPerMinute: number;
  redisUrl: string | null;
  /** Absolute directory of the built portal (served if it holds an index.html). */
  portalDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

/** Raised when the environment cannot start the API; the message says what to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

const durationSchema = z
  .string()
  .trim()
  .regex(/^\d+[smhd]?$/, 'must be a number of seconds or a duration like 90s, 15m, 8h, 1d')
  .transform((v) => Number.parseInt(v, 10) * (TTL_UNITS[v.at(-1) ?? ''] ?? 1))
  .refine((seconds) => seconds > 0, 'must be longer than 0 seconds');

const urlSchema = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => URL.canParse(v) && protocols.includes(new URL(v).protocol), `must be a ${protocols.join(' or ')}// URL`);

const envSchema = z.object({
  NODE_ENV: z.string().trim().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: z.string().trim().optional(),
  JWT_SECRET: z.string().optional(),
  ACCESS_TOKEN_TTL: durationSchema.default(8 * 3600),
  LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  REDIS_URL: urlSchema(['redis:', 'rediss:']).optional(),
  PORTAL_DIR: z.string().trim().min(1).default('dist/portal/browser'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
});

/**
 * Reads and validates the API's environment. Empty variables count as unset. Outside
 * production a missing JWT_SECRET is generated once and kept in `DATA_DIR/jwt-secret`, so
 * tokens survive restarts; in production a missing or short secret is refused.
 *
 * @throws ConfigError naming every variable that is wrong.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);
  return {
    production,
    port: e.PORT,
    dataDir,
    database: databaseSettings(e.DATABASE_URL, dataDir),
    jwtSecret: jwtSecret(e.JWT_SECRET, production, dataDir),
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    loginAttemptsPerMinute: e.LOGIN_ATTEMPTS_PER_MINUTE,
    redisUrl: e.REDIS_URL ?? null,
    portalDir: resolve(e.PORTAL_DIR),
    logLevel: e.LOG_LEVEL,
  };
}

function databaseSettings(url: string | undefined, dataDir: string): AppConfig['database'] {
  if (url === undefined) return { dialect: 'sqlite', file: join(dataDir, 'switchboard.sqlite') };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  throw new ConfigError('Invalid configuration:\n  DATABASE_URL: must be a postgres:// URL (leave it unset for the embedded SQLite file)');
}

function jwtSecret(given: string | undefined, production: boolean, dataDir: string): string {
  if (production) {
    if (given === undefined) {
      throw new ConfigError(`JWT_SECRET is required in production: set it to a random string of at least ${MIN_JWT_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 48\`).`);
    }
    if (given.length < MIN_JWT_SECRET_LENGTH) {
      throw new ConfigError(`JWT_SECRET is too weak: it has ${given.length} characters, production needs at least ${MIN_JWT_SECRET_LENGTH}.`);
    }
    return given;
  }
  if (given !== undefined) return given;
  const file = join(dataDir, 'jwt-secret');
  mkdirSync(dataDir, { recursive: true });
  try {
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process (or an earlier start) wrote it first: everyone uses that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const kept = readFileSync(file, 'utf8').trim();
  if (kept.length === 0) throw new ConfigError(`${file} is empty: delete it to generate a new secret, or set JWT_SECRET.`);
  return kept;
}
