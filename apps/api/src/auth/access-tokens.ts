import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { z } from 'zod';
import type { AccessTokenClaims, SessionUser } from '@switchboard/call-domain';
import { roleSchema } from '@switchboard/call-domain/schemas';

const claimsSchema = z.object({
  sub: z.string().min(1),
  username: z.string().min(1),
  role: roleSchema,
  displayName: z.string(),
  sid: z.string().min(1).max(64).optional(),
  exp: z.number().optional(),
});

/** A verified token: its user and when it stops being valid. */
export interface VerifiedSession {
  user: SessionUser;
  /** The sign-in session the token belongs to (its `sid` claim); null for a token issued without one. */
  sessionId: string | null;
  /** When the token expires (ms since the epoch); null for a token without `exp`. */
  expiresAt: number | null;
}

/**
 * Issues and checks access tokens (HS256 JWTs carrying {@link AccessTokenClaims}). The one
 * place HTTP guards and the Socket.IO handshake turn a bearer token into a user.
 */
@Injectable()
export class AccessTokens {
  constructor(private readonly jwt: JwtService) {}

  /** Signs a token for `user` in the sign-in session `sessionId`, valid for the configured lifetime. */
  issue(user: SessionUser, sessionId: string): Promise<string> {
    const claims: AccessTokenClaims = { sub: user.id, username: user.username, role: user.role, displayName: user.displayName, sid: sessionId };
    return this.jwt.signAsync(claims);
  }

  /**
   * The user a token was issued for, or null when it is missing, malformed, expired, signed
   * with another secret or algorithm, or carries unexpected claims. Whether its sign-in
   * session is still open is the `SessionStore`'s question, not this one's.
   */
  verify(token: unknown): SessionUser | null {
    return this.verifySession(token)?.user ?? null;
  }

  /** Like {@link verify}, with the token's expiry (for connections that outlive the check). */
  verifySession(token: unknown): VerifiedSession | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return null;
    let payload: unknown;
    try {
      payload = this.jwt.verify(token);
    } catch {
      return null;
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return null;
    const { sub, username, role, displayName, sid, exp } = claims.data;
    return { user: { id: sub, username, role, displayName }, sessionId: sid ?? null, expiresAt: exp === undefined ? null : exp * 1000 };
  }
}
