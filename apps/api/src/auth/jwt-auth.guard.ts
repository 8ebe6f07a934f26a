import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { AccessTokens } from './access-tokens';

/** The token of an `Authorization: Bearer <token>` header, if that is what was sent. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  return match ? match[1] : null;
}

/**
 * Lets a request through only with a valid access token, and puts its user on
 * `request.user` (read it with `@CurrentUser()`). Anything else is a 401 problem.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly tokens: AccessTokens) {}

  /** Checks the bearer token. */
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request & { user?: SessionUser }>();
    const user = this.tokens.verify(bearerToken(req.headers.authorization));
    if (!user) throw new ProblemException('unauthorized', 'Sign in first: a valid access token is required');
    req.user = user;
    return true;
  }
}
