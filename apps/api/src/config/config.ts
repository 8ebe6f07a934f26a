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

/** The call server's timers and lists (environment variable and default in each comment). */
export interface CallSettings {
  /** RING_TIMEOUT_SECONDS (20): an offer not answered by then rings out and the agent goes Missed. */
  ringTimeoutSeconds: number;
  /** MAX_WAIT_SECONDS (300): a caller not answered by then is told and the call ends unanswered. */
  maxWaitSeconds: number;
  /** WRAP_UP_SECONDS (60): wrap-up ends by itself after this. */
  wrapUpSeconds: number;
  /** WRAP_UP_MAX_SECONDS (300, or WRAP_UP_SECONDS if longer): the longest an agent may extend wrap-up to ("+30 s"). */
  wrapUpMaxSeconds: number;
  /** DISPOSITION_REQUIRED (false): whether the agent must pick a disposition (none is preselected). */
  dispositionRequired: boolean;
  /** PRESENCE_GRACE_SECONDS (30): an agent whose last tab is gone this long is Offline. */
  presenceGraceSeconds: number;
  /** CALLER_GRACE_SECONDS (10): a waiting caller whose last tab is gone this long has abandoned. */
  callerGraceSeconds: number;
  /** MEDIA_TIMEOUT_SECONDS (30): an accepted call whose media has not connected by then failed. */
  mediaTimeoutSeconds: number;
  /** SHORT_ABANDON_SECONDS (5): abandons within this are short abandons. */
  shortAbandonSeconds: number;
  /** DISPOSITIONS (comma-separated): what an agent picks from at wrap-up. */
  dispositions: string[];
  /** DEADLINE_POLL_MS (250): how often each node looks for due deadlines. */
  deadlinePollMs: number;
  /** REDIS_ROOMS_KEY ("switchboard"): the Redis stream, channels and session keys that share rooms between nodes. */
  redisRoomsKey: string;
  /**
   * NODE_HEARTBEAT_MS (5000): how often each node refreshes its row in `api_nodes`; a node
   * silent for {@link NODE_DEAD_AFTER_HEARTBEATS} of these is taken for dead by the others.
   */
  nodeHeartbeatMs: number;
}

/** Missed heartbeats after which a node is taken for dead (its sockets' presence gets a grace period). */
export const NODE_DEAD_AFTER_HEARTBEATS = 3;

/**
 * Which ICE servers the portal's peer connections use (environment variable and default in
 * each comment). TURN credentials are not configured per user: the API derives short-lived
 * ones from `turnSecret` for each call (coturn's `use-auth-secret` REST scheme).
 */
export interface IceSettings {
  /** STUN_URLS (none): `stun:`/`stuns:` URLs, for the browsers to learn their public address. */
  stunUrls: string[];
  /** TURN_URLS (none): `turn:`/`turns:` URLs of relays that share `turnSecret`. */
  turnUrls: string[];
  /** TURN_SECRET: coturn's `static-auth-secret`; required with TURN_URLS, never sent to a browser. */
  turnSecret: string | null;
  /** TURN_CREDENTIAL_TTL (1h): how long a TURN credential handed to a browser is valid. */
  turnCredentialTtlSeconds: number;
  /** ICE_TRANSPORT_POLICY (all): `relay` makes every call go through TURN, so neither party learns the other's address. */
  transportPolicy: 'all' | 'relay';
}

/** The shortest TURN_SECRET accepted (characters). */
export const MIN_TURN_SECRET_LENGTH = 16;

/** The dispositions offered when DISPOSITIONS is not set. */
export const DEFAULT_DISPOSITIONS = ['Resolved', 'Escalated', 'Follow-up needed', 'Wrong number', 'Other'];

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
  /** Sign-in attempts allowed per minute for one client address, whatever the usernames. */
  loginAttemptsPerAddressPerMinute: number;
  redisUrl: string | null;
  /**
   * Origins (`https://portal.example.edu`) whose pages may open a Socket.IO connection besides
   * the API's own (same-origin requests are always allowed); ALLOWED_ORIGINS, comma-separated.
   */
  allowedOrigins: string[];
  /** Most Socket.IO connections one client address may hold open on a node (MAX_CONNECTIONS_PER_ADDRESS). */
  maxConnectionsPerAddress: number;
  /** Absolute directory of the built portal (served if it holds an index.html). */
  portalDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** DRAIN_SECONDS (5): how long a node that got SIGTERM keeps its sockets (not ready, no new calls) before closing them and exiting. */
  drainSeconds: number;
  /**
   * RETENTION_MONTHS (unset: keep everything): calls queued longer ago than this many months
   * (from the start of that UTC day) are deleted with their timelines and callback requests,
   * once a day, in batches; the metrics roll-ups keep their figures.
   */
  retentionMonths: number | null;
  /** METRICS_TOKEN: the bearer token a Prometheus scraper sends to `/metrics` (supervisors' access tokens work too); null when unset. */
  metricsToken: string | null;
  /** The call server's timers and lists. */
  calls: CallSettings;
  /** STUN and TURN servers for the calls' media. */
  ice: IceSettings;
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

/** Whether `value` is exactly an http(s) origin: scheme, host and optional port, nothing else. */
function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
}

/**
 * A comma-separated list of ICE server URLs (RFC 7064 / 7065): `scheme:host[:port]`, with
 * `?transport=udp|tcp` allowed on TURN URLs only. Anything else (a path, credentials in the
 * URL, another scheme) is refused, since the browser would refuse it at call time instead.
 */
const iceUrlsSchema = (schemes: readonly string[]) =>
  z
    .string()
    .transform((v) => [...new Set(v.split(',').map((u) => u.trim()).filter(Boolean))])
    .refine(
      (urls) => urls.every((url) => iceUrlPattern(schemes).test(url) && (url.startsWith('turn') || !url.includes('?'))),
      `must be comma-separated ${schemes.map((s) => `${s}:`).join(' or ')} URLs like ${schemes[0]}:host.example.org:3478`,
    );

function iceUrlPattern(schemes: readonly string[]): RegExp {
  return new RegExp(`^(${schemes.join('|')}):(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)(:\\d{1,5})?(\\?transport=(udp|tcp))?$`);
}

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(86_400).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.string().trim().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: z.string().trim().optional(),
  JWT_SECRET: z.string().optional(),
  ACCESS_TOKEN_TTL: durationSchema.default(8 * 3600),
  LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  REDIS_URL: urlSchema(['redis:', 'rediss:']).optional(),
  ALLOWED_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every(isOrigin), 'must list origins such as https://portal.example.edu (scheme, host and port only), comma-separated')
    .transform((list) => list.map((o) => new URL(o).origin))
    .default([]),
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(200),
  PORTAL_DIR: z.string().trim().min(1).default('dist/portal/browser'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  DRAIN_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).optional(),
  METRICS_TOKEN: z.string().trim().min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 48\`)`).optional(),
  RING_TIMEOUT_SECONDS: seconds(20),
  MAX_WAIT_SECONDS: seconds(300),
  WRAP_UP_SECONDS: seconds(60),
  WRAP_UP_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  DISPOSITION_REQUIRED: z.enum(['true', 'false']).default('false'),
  PRESENCE_GRACE_SECONDS: seconds(30),
  CALLER_GRACE_SECONDS: seconds(10),
  MEDIA_TIMEOUT_SECONDS: seconds(30),
  SHORT_ABANDON_SECONDS: z.coerce.number().int().min(0).max(600).default(5),
  DISPOSITIONS: z
    .string()
    .transform((v) => [...new Set(v.split(',').map((d) => d.trim()).filter(Boolean))])
    .refine((list) => list.length > 0 && list.every((d) => d.length <= 80), 'must list at least one disposition of at most 80 characters')
    .default(DEFAULT_DISPOSITIONS),
  DEADLINE_POLL_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  STUN_URLS: iceUrlsSchema(['stun', 'stuns']).default([]),
  TURN_URLS: iceUrlsSchema(['turn', 'turns']).default([]),
  TURN_SECRET: z.string().min(MIN_TURN_SECRET_LENGTH, `must be at least ${MIN_TURN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`).optional(),
  TURN_CREDENTIAL_TTL: durationSchema.refine((s) => s >= 60 && s <= 7 * 86_400, 'must be between 1 minute and 7 days').default(3600),
  ICE_TRANSPORT_POLICY: z.enum(['all', 'relay']).default('all'),
  REDIS_ROOMS_KEY: z
    .string()
    .trim()
    .regex(/^[\w.:-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", ":", "_" or "-"')
    .default('switchboard'),
  NODE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
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
    loginAttemptsPerAddressPerMinute: e.LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE,
    redisUrl: e.REDIS_URL ?? null,
    allowedOrigins: e.ALLOWED_ORIGINS,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    portalDir: resolve(e.PORTAL_DIR),
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN ?? null,
    drainSeconds: e.DRAIN_SECONDS,
    retentionMonths: e.RETENTION_MONTHS ?? null,
    calls: {
      ringTimeoutSeconds: e.RING_TIMEOUT_SECONDS,
      maxWaitSeconds: e.MAX_WAIT_SECONDS,
      wrapUpSeconds: e.WRAP_UP_SECONDS,
      wrapUpMaxSeconds: wrapUpMaxSeconds(e.WRAP_UP_MAX_SECONDS, e.WRAP_UP_SECONDS),
      dispositionRequired: e.DISPOSITION_REQUIRED === 'true',
      presenceGraceSeconds: e.PRESENCE_GRACE_SECONDS,
      callerGraceSeconds: e.CALLER_GRACE_SECONDS,
      mediaTimeoutSeconds: e.MEDIA_TIMEOUT_SECONDS,
      shortAbandonSeconds: e.SHORT_ABANDON_SECONDS,
      dispositions: e.DISPOSITIONS,
      deadlinePollMs: e.DEADLINE_POLL_MS,
      redisRoomsKey: e.REDIS_ROOMS_KEY,
      nodeHeartbeatMs: e.NODE_HEARTBEAT_MS,
    },
    ice: iceSettings(e),
  };
}

/** The ICE settings, checked together: TURN needs its secret, and relay-only needs a relay. */
function iceSettings(e: z.output<typeof envSchema>): IceSettings {
  const problems: string[] = [];
  if (e.TURN_URLS.length > 0 && e.TURN_SECRET === undefined) problems.push('TURN_SECRET: is required with TURN_URLS (the static-auth-secret of the TURN servers)');
  if (e.TURN_SECRET !== undefined && e.TURN_URLS.length === 0) problems.push('TURN_SECRET: is set but TURN_URLS is not (which servers is it for?)');
  if (e.ICE_TRANSPORT_POLICY === 'relay' && e.TURN_URLS.length === 0) problems.push('ICE_TRANSPORT_POLICY: relay needs TURN_URLS (no call could connect)');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    stunUrls: e.STUN_URLS,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET ?? null,
    turnCredentialTtlSeconds: e.TURN_CREDENTIAL_TTL,
    transportPolicy: e.ICE_TRANSPORT_POLICY,
  };
}

function wrapUpMaxSeconds(given: number | undefined, wrapUpSeconds: number): number {
  if (given === undefined) return Math.max(300, wrapUpSeconds);
  if (given < wrapUpSeconds) throw new ConfigError(`Invalid configuration:\n  WRAP_UP_MAX_SECONDS: must be at least WRAP_UP_SECONDS (${wrapUpSeconds})`);
  return given;
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
