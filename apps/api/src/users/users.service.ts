import { Injectable } from '@nestjs/common';
import type { CreateUserRequest, SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import { createAccount } from './user-accounts';
import { UsernameTakenError, UsersRepository } from './users.repository';

/** Account administration for supervisors. */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

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
}
