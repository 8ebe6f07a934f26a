import { describeEachDialect } from '../testing/each-dialect';
import { databaseErrorCode, isUniqueViolation } from './database-errors';

describeEachDialect('database errors', (database, dialect) => {
  const at = '2026-12-07T00:00:00.000Z';
  const user = (id: string, username: string) => ({ id, username, display_name: 'Someone', role: 'student' as const, password_hash: 'x', created_at: at });
  /** What inserting `row` into users threw (null when it did not). */
  const insertError = (row: ReturnType<typeof user>) =>
    database()
      .db.insertInto('users')
      .values(row)
      .execute()
      .then(() => null, (err: unknown) => err);

  afterEach(async () => {
    await database().db.deleteFrom('users').execute();
  });

  it('tells a unique constraint or primary key violated from other failures', async () => {
    expect(await insertError(user('u-1', 'sam'))).toBeNull();
    const taken = await insertError(user('u-2', 'sam'));
    expect(databaseErrorCode(taken)).toBe(dialect === 'postgres' ? '23505' : 'SQLITE_CONSTRAINT_UNIQUE');
    expect(isUniqueViolation(taken)).withContext('the username taken').toBeTrue();
    expect(isUniqueViolation(await insertError(user('u-1', 'kim')))).withContext('the id taken').toBeTrue();
    const notNull = await insertError({ ...user('u-3', 'lee'), display_name: null as unknown as string });
    expect(notNull).withContext('a missing display name fails').not.toBeNull();
    expect(isUniqueViolation(notNull)).withContext('a not-null violation').toBeFalse();
    expect(isUniqueViolation(new Error('not from a database'))).toBeFalse();
    expect(databaseErrorCode(new Error('not from a database'))).toBeUndefined();
    expect(databaseErrorCode(null)).toBeUndefined();
  });
});
