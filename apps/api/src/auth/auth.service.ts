import { Injectable } from '@nestjs/common';
import type { LoginRequest, LoginResponse, SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { UsersRepository, toSessionUser } from '../users/users.repository';
import { AccessTokens } from './access-tokens';
import { dummyPasswordHash, verifyPassword } from './password';
import { SessionStore } from './session-store';

/** The one answer to a failed sign-in: it never says whether the username exists. */
export const INVALID_CREDENTIALS = 'Invalid username or password';

/** Signs users in. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: AccessTokens,
    private readonly sessions: SessionStore,
  ) {}

  /** Checks the credentials, opens a sign-in session and issues its access token; 401 problem otherwise. */
  async login({ username, password }: LoginRequest): Promise<LoginResponse> {
    const row = await this.users.findByUsername(username);
    const matches = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash()));
    if (!row || !matches) throw new ProblemException('unauthorized', INVALID_CREDENTIALS);
    const user = toSessionUser(row);
    return { accessToken: await this.tokens.issue(user, await this.sessions.open(user.id)), user };
  }

  /** The current state of a signed-in user's account; 401 if it was deleted since. */
  async me(user: SessionUser): Promise<SessionUser> {
    const current = await this.users.findById(user.id);
    if (!current) throw new ProblemException('unauthorized', 'This account no longer exists');
    return current;
  }
}
