import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { Role, SessionUser } from '@switchboard/call-domain';
import { isUniqueViolation } from '../database/database-errors';
import { InjectDatabase } from '../database/database.module';
import type { Database, UserRow } from '../database/schema';

/** What it takes to store a new account (the password already hashed). */
export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
}

/** Accounts per statement in {@link UsersRepository.createMany} (and usernames per lookup): under both databases' bound-parameter limits. */
const USERS_PER_INSERT = 500;

/** Raised by {@link UsersRepository.create} when the username is already taken. */
export class UsernameTakenError extends Error {
  override readonly name = 'UsernameTakenError';
  constructor(readonly username: string) {
    super(`The username "${username}" is already taken`);
  }
}

/** The public view of a user row. */
export function toSessionUser(row: Pick<UserRow, 'id' | 'username' | 'role' | 'display_name'>): SessionUser {
  return { id: row.id, username: row.username, role: row.role, displayName: row.display_name };
}

/**
 * Reads and writes accounts. Usernames are compared lower-case. Plain class: the API injects
 * it, the CLI tools construct it with their own Kysely instance.
 */
@Injectable()
export class UsersRepository {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** Stores a new account. @throws UsernameTakenError */
  async create(user: NewUser): Promise<SessionUser> {
    const row: UserRow = {
      id: randomUUID(),
      username: user.username.trim().toLowerCase(),
      display_name: user.displayName,
      role: user.role,
      password_hash: user.passwordHash,
      created_at: new Date().toISOString(),
    };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new UsernameTakenError(row.username);
      throw err;
    }
    return toSessionUser(row);
  }

  /**
   * Stores many new accounts at once (the seeders' casts: thousands of students), in
   * multi-row INSERTs; run it inside a transaction for all or none. The accounts come back in
   * the order given. @throws the database's unique violation when a username is taken
   */
  async createMany(users: readonly NewUser[]): Promise<SessionUser[]> {
    const createdAt = new Date().toISOString();
    const rows: UserRow[] = users.map((user) => ({
      id: randomUUID(),
      username: user.username.trim().toLowerCase(),
      display_name: user.displayName,
      role: user.role,
      password_hash: user.passwordHash,
      created_at: createdAt,
    }));
    for (let i = 0; i < rows.length; i += USERS_PER_INSERT) await this.db.insertInto('users').values(rows.slice(i, i + USERS_PER_INSERT)).execute();
    return rows.map(toSessionUser);
  }

  /** The accounts with these usernames (any case) that exist, by lower-case username. */
  async findManyByUsername(usernames: readonly string[]): Promise<Map<string, UserRow>> {
    const found = new Map<string, UserRow>();
    const wanted = [...new Set(usernames.map((u) => u.trim().toLowerCase()))];
    for (let i = 0; i < wanted.length; i += USERS_PER_INSERT) {
      const rows = await this.db.selectFrom('users').selectAll().where('username', 'in', wanted.slice(i, i + USERS_PER_INSERT)).execute();
      for (const row of rows) found.set(row.username, row);
    }
    return found;
  }

  /** The account with this username (any case), if any, with its password hash. */
  async findByUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('username', '=', username.trim().toLowerCase()).executeTakeFirst();
  }

  /** The account with this id, if any. */
  async findById(id: string): Promise<SessionUser | undefined> {
    const row = await this.db.selectFrom('users').select(['id', 'username', 'role', 'display_name']).where('id', '=', id).executeTakeFirst();
    return row && toSessionUser(row);
  }

  /** Every account, by username. */
  async list(): Promise<SessionUser[]> {
    const rows = await this.db.selectFrom('users').select(['id', 'username', 'role', 'display_name']).orderBy('username').execute();
    return rows.map(toSessionUser);
  }

  /** How many accounts exist. */
  async count(): Promise<number> {
    const { n } = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }
}
