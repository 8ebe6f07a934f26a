import { Injectable } from '@nestjs/common';
import type { CreateUserRequest, SessionUser } from '@switchboard/call-domain';
import { SignOut } from '../auth/sign-out';
import { ProblemException } from '../errors/problem';
import { createAccount } from './user-accounts';
import { UsernameTakenError, UsersRepository } from './users.repository';

/** Account administration for supervisors. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly signOut: SignOut,
  ) {}

  /** Creates an account; a taken username is a 409 problem. */
  async create(request: CreateUserRequest): Promise<SessionUser> {
    try {
      return await createAccount(this.users, request);
    } catch (err) {
      if (err instanceof UsernameTakenError) throw new ProblemException('conflict', err.message);
      throw err;
    }
  }

  /** Every account. */
  list(): Promise<SessionUser[]> {
    return this.users.list();
  }

  /** Signs the user out on every device and node; a 404 problem for an unknown user. */
  async signOutEverywhere(userId: string): Promise<void> {
    if (!(await this.users.findById(userId))) throw new ProblemException('not_found', 'No such user');
    await this.signOut.everywhere(userId);
  }
}
