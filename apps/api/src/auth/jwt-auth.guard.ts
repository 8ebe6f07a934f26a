import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { AccessTokens } from './access-tokens';
import { SessionStore } from './session-store';

/** What {@link JwtAuthGuard} puts on a request it lets through. */
export interface SignedInRequest extends Request {
  user: SessionUser;
  /** The sign-in session of the token. */
  sessionId: string;
}

/** The token of an `Authorization: Bearer <token>` header, if that is what was sent. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  return match ? match[1] : null;
}

/**
 * Lets a request through only with a valid access token whose sign-in session is still open
 * (one read of `sign_in_sessions`), and puts its user on `request.user` (read it with
 * `@CurrentUser()`) and its session on `request.sessionId`. Anything else is a 401 problem.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionStore,
  ) {}

  /** Checks the bearer token and its session. */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Partial<SignedInRequest>>();
    const verified = this.tokens.verifySession(bearerToken(req.headers?.authorization));
    if (!verified) throw new ProblemException('unauthorized', 'Sign in first: a valid access token is required');
    if (verified.sessionId === null || !(await this.sessions.isOpen(verified.sessionId, verified.user.id))) {
      throw new ProblemException('unauthorized', 'You have been signed out; sign in again');
    }
    req.user = verified.user;
    req.sessionId = verified.sessionId;
    return true;
  }
}
