import type { Insertable, Selectable } from 'kysely';
import type { Role } from '@switchboard/call-domain';

/**
 * The tables of the database, as Kysely sees them. Each migration that adds a table adds its
 * interface here too (e.g. `calls: CallsTable` with 0002).
 *
 * Conventions that keep SQLite and PostgreSQL interchangeable:
 * - ids are UUID strings in `text` columns, chosen by the API (`randomUUID()`);
 * - timestamps are ISO 8601 UTC strings in `text` columns (`new Date().toISOString()`), so
 *   both dialects return the same string and they sort in time order;
 * - enumerations are `text` with a CHECK constraint, typed with the call-domain union.
 */
export interface Database {
  users: UsersTable;
}

/** One account: a student, an agent or a supervisor. */
export interface UsersTable {
  id: string;
  /** Always lower-case, so lookups are case-insensitive on both dialects. */
  username: string;
  display_name: string;
  role: Role;
  /** An scrypt hash string as written by `hashPassword`. */
  password_hash: string;
  /** ISO 8601 UTC. */
  created_at: string;
}

/** A user row as read. */
export type UserRow = Selectable<UsersTable>;
/** A user row as written. */
export type NewUserRow = Insertable<UsersTable>;
