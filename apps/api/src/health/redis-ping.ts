import { once } from 'node:events';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/** How long a readiness probe waits for Redis or the database before calling it down. */
export const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether the Redis server that shares rooms between nodes (REDIS_URL) answers a PING. Uses
 * its own small connection, which fails fast while Redis is away (no offline queue, no
 * retries per command) and reconnects in the background, so a probe never waits on a backlog.
 */
@Injectable()
export class RedisPing implements OnModuleInit, OnApplicationShutdown {
  private client: Redis | null = null;

  constructor(@InjectConfig() private readonly config: AppConfig) {}

  /** Whether Redis is configured at all. */
  get configured(): boolean {
    return this.config.redisUrl !== null;
  }

  /** Connects the probe's connection at start-up, so the first probe finds it ready. */
  async onModuleInit(): Promise<void> {
    const client = this.connection();
    if (client) await withTimeout(once(client, 'ready'), PROBE_TIMEOUT_MS).catch(() => undefined);
  }

  /** Whether Redis answers PING within {@link PROBE_TIMEOUT_MS}; false when it is not configured. */
  async answers(): Promise<boolean> {
    const client = this.connection();
    if (!client) return false;
    try {
      return (await withTimeout(client.ping(), PROBE_TIMEOUT_MS)) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Closes the probe's connection. */
  onApplicationShutdown(): void {
    this.client?.disconnect();
    this.client = null;
  }

  private connection(): Redis | null {
    if (!this.config.redisUrl) return null;
    this.client ??= new Redis(this.config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: PROBE_TIMEOUT_MS,
      retryStrategy: () => 1_000,
    }).on('error', () => undefined); // a probe that fails says so; the adapter logs Redis errors
    return this.client;
  }
}

/** `work`, or a rejection after `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
