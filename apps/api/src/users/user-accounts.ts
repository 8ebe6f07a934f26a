import type { CreateUserRequest, SessionUser } from '@switchboard/call-domain';
import { hashPassword } from '../auth/password';
import type { UsersRepository } from './users.repository';

/**
 * Creates an account from an already validated request (see `createUserRequestSchema`):
 * hashes the password and stores the row. Shared by `POST /api/users` and the CLI tools.
 *
 * @throws UsernameTakenError
 */
export async function createAccount(users: UsersRepository, request: CreateUserRequest): Promise<SessionUser> {
  return users.create({
    username: request.username,
    displayName: request.displayName,
    role: request.role,
    passwordHash: await hashPassword(request.password),
  });
}
