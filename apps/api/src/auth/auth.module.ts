import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { UsersRepository } from '../users/users.repository';
import { AccessTokens } from './access-tokens';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LOGIN_THROTTLE_STORAGE, LoginThrottleStorageModule } from './login-throttle-storage';
import { LOGIN_ADDRESS_THROTTLER, LOGIN_THROTTLER, addressAndUsernameTracker, addressTracker } from './login-throttler.guard';
import { RolesGuard } from './roles.guard';
import { SessionSockets } from './session-sockets';
import { SessionStore } from './session-store';
import { SignOut } from './sign-out';

/**
 * Sign-in, sign-in sessions and sign-out, access tokens and the guards. Import it to use
 * `JwtAuthGuard`, `RolesGuard`, `AccessTokens`, `SignOut` or `UsersRepository` in another module.
 */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A key object made once: given the string, jsonwebtoken tries createPublicKey (and
        // catches its failure) then createSecretKey on every sign and verify.
        secret: createSecretKey(Buffer.from(config.jwtSecret)),
        signOptions: { algorithm: 'HS256', expiresIn: config.accessTokenTtlSeconds },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    ThrottlerModule.forRootAsync({
      imports: [LoginThrottleStorageModule],
      inject: [APP_CONFIG, LOGIN_THROTTLE_STORAGE],
      useFactory: (config: AppConfig, storage: ThrottlerStorage) => ({
        storage,
        throttlers: [
          { name: LOGIN_ADDRESS_THROTTLER, ttl: 60_000, limit: config.loginAttemptsPerAddressPerMinute, getTracker: addressTracker },
          { name: LOGIN_THROTTLER, ttl: 60_000, limit: config.loginAttemptsPerMinute, getTracker: addressAndUsernameTracker },
        ],
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AccessTokens, AuthService, JwtAuthGuard, RolesGuard, UsersRepository, SessionStore, SessionSockets, SignOut],
  exports: [AccessTokens, JwtAuthGuard, RolesGuard, UsersRepository, SessionStore, SessionSockets, SignOut],
})
export class AuthModule {}
