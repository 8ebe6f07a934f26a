import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/** Name of the throttler that limits sign-in attempts. */
export const LOGIN_THROTTLER = 'login';

/**
 * Limits sign-in attempts per client address and username, so guessing one account's
 * password is slow while colleagues behind the same campus NAT can still sign in.
 * Counts live in this process's memory.
 */
@Injectable()
export class LoginThrottlerGuard extends ThrottlerGuard {
  /** `ip|username` (lower-case), from the raw body: guards run before validation. */
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const body = req['body'] as { username?: unknown } | undefined;
    const username = typeof body?.username === 'string' ? body.username.trim().toLowerCase().slice(0, 64) : '';
    return `${String(req['ip'])}|${username}`;
  }

  /** Answers with the product's problem text. */
  protected override async getErrorMessage(): Promise<string> {
    return 'Too many sign-in attempts; wait a minute and try again';
  }
}
