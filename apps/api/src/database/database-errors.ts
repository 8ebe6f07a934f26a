/**
 * What a database error means, on both databases. Errors carry a code: PostgreSQL's SQLSTATE
 * (`pg`), better-sqlite3's extended result code name.
 */

/** The database's code of `err` (PostgreSQL's SQLSTATE, better-sqlite3's code name), if it has one. */
export function databaseErrorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Whether `err` is a unique-constraint (or primary-key) violation: PostgreSQL's unique_violation, SQLite's SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY. */
export function isUniqueViolation(err: unknown): boolean {
  const code = databaseErrorCode(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
