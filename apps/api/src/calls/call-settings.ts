import { Inject } from '@nestjs/common';
import { z } from 'zod';
import { ConfigError } from '../config/config';

/** The call server's timers and lists, read from the environment at start-up. */
export interface CallSettings {
  /** RING_TIMEOUT_SECONDS (20): an offer not answered by then rings out and the agent goes Missed. */
  ringTimeoutSeconds: number;
  /** MAX_WAIT_SECONDS (300): a caller not answered by then is told and the call ends unanswered. */
  maxWaitSeconds: number;
  /** WRAP_UP_SECONDS (60): wrap-up ends by itself after this. */
  wrapUpSeconds: number;
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
  /** REDIS_ROOMS_KEY ("switchboard"): prefix of the Redis channels that share rooms between nodes. */
  redisRoomsKey: string;
}

/** Injection token of the {@link CallSettings}. */
export const CALL_SETTINGS = Symbol('CALL_SETTINGS');

/** Injects the {@link CallSettings}. */
export const InjectCallSettings = (): ParameterDecorator => Inject(CALL_SETTINGS);

/** The dispositions offered when DISPOSITIONS is not set. */
export const DEFAULT_DISPOSITIONS = ['Resolved', 'Escalated', 'Follow-up needed', 'Wrong number', 'Other'];

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(86_400).default(fallback);

const envSchema = z.object({
  RING_TIMEOUT_SECONDS: seconds(20),
  MAX_WAIT_SECONDS: seconds(300),
  WRAP_UP_SECONDS: seconds(60),
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
  REDIS_ROOMS_KEY: z.string().trim().regex(/^[\w.:-]{1,64}$/, 'must be 1 to 64 letters, digits, ".", ":", "_" or "-"').default('switchboard'),
});

/**
 * Reads and validates the call settings; empty variables count as unset.
 *
 * @throws ConfigError naming every variable that is wrong.
 */
export function loadCallSettings(env: Record<string, string | undefined> = process.env): CallSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    ringTimeoutSeconds: e.RING_TIMEOUT_SECONDS,
    maxWaitSeconds: e.MAX_WAIT_SECONDS,
    wrapUpSeconds: e.WRAP_UP_SECONDS,
    presenceGraceSeconds: e.PRESENCE_GRACE_SECONDS,
    callerGraceSeconds: e.CALLER_GRACE_SECONDS,
    mediaTimeoutSeconds: e.MEDIA_TIMEOUT_SECONDS,
    shortAbandonSeconds: e.SHORT_ABANDON_SECONDS,
    dispositions: e.DISPOSITIONS,
    deadlinePollMs: e.DEADLINE_POLL_MS,
    redisRoomsKey: e.REDIS_ROOMS_KEY,
  };
}

/** `now` plus `seconds`, as a Date. */
export function secondsAfter(now: Date, seconds: number): Date {
  return new Date(now.getTime() + seconds * 1000);
}
