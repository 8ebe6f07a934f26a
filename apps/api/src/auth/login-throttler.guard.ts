import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/** Name of the throttler that limits sign-in attempts per client address and username. */
export const LOGIN_THROTTLER = 'login';

/** Name of the throttler that limits sign-in attempts per client address, whatever the username. */
export const LOGIN_ADDRESS_THROTTLER = 'login-address';

/** The client address: the tracker of {@link LOGIN_ADDRESS_THROTTLER}. */
export function addressTracker(req: Record<string, unknown>): Promise<string> {
  return Promise.resolve(String(req['ip']));
}

/** `ip|username` (lower-case), from the raw body (guards run before validation): the tracker of {@link LOGIN_THROTTLER}. */
export function addressAndUsernameTracker(req: Record<string, unknown>): Promise<string> {
  const body = req['body'] as { username?: unknown } | undefined;
  const username = typeof body?.username === 'string' ? body.username.trim().toLowerCase().slice(0, 64) : '';
  return Promise.resolve(`${String(req['ip'])}|${username}`);
}

/**
 * Limits sign-in attempts twice: per client address and username (LOGIN_ATTEMPTS_PER_MINUTE),
 * so guessing one account's password is slow, and per client address across usernames
 * (LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE, higher, since colleagues behind one campus NAT sign
 * in from one address), so trying one password on many accounts (spraying) is slow too.
 * Counts are kept in Redis when REDIS_URL is set (one budget for all nodes), else in memory.
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  /** Answers with the product's problem text. */
  protected override async getErrorMessage(): Promise<string> {
    return 'Too many sign-in attempts; wait a minute and try again';
  }
}
