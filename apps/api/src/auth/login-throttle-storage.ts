import { Inject, Logger, Module } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/** Injection token of the sign-in throttle's counters. */
export const LOGIN_THROTTLE_STORAGE = Symbol('LOGIN_THROTTLE_STORAGE');

/** Injects the sign-in throttle's counters. */
export const InjectLoginThrottleStorage = (): ParameterDecorator => Inject(LOGIN_THROTTLE_STORAGE);

/**
 * Where sign-in attempts are counted: in Redis when REDIS_URL is set, so every node spends
 * from one budget per address (keys under `<REDIS_ROOMS_KEY>:login-throttle:`); in this
 * process's memory otherwise (one node). Nest closes either with the app (their own
 * `onModuleDestroy` / `onApplicationShutdown`).
 */
@Module({
  providers: [
    {
      provide: LOGIN_THROTTLE_STORAGE,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): ThrottlerStorage => {
        if (!config.redisUrl) return new ThrottlerStorageService();
        const storage = new ThrottlerStorageRedisService(config.redisUrl, {
          keyPrefix: `${config.calls.redisRoomsKey}:login-throttle:`,
          // A sign-in waits at most a few seconds for Redis, then fails instead of hanging.
          maxRetriesPerRequest: 2,
        });
        // Without a listener ioredis prints every failed reconnection to stderr; one line in the log is enough.
        const logger = new Logger('LoginThrottle');
        storage.redis.on('error', (err: unknown) => logger.warn({ msg: 'redis error', error: String(err) }));
        return storage;
      },
    },
  ],
  exports: [LOGIN_THROTTLE_STORAGE],
})
export class LoginThrottleStorageModule {}
