import { sql } from 'kysely';
import { MIGRATIONS } from '../database/migrations';
import { migrateToLatest } from '../database/database';
import { describeEachDialect } from '../testing/each-dialect';
import { UsernameTakenError, UsersRepository } from './users.repository';

describeEachDialect('storage', (database) => {
  let users: UsersRepository;
  beforeEach(async () => {
    users = new UsersRepository(database().db);
    await database().db.deleteFrom('users').execute();
  });

  const newUser = (username: string) => ({ username, displayName: 'Alex Agent', role: 'agent' as const, passwordHash: 'scrypt$hash' });

  it('has applied every migration, and applying again changes nothing', async () => {
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database().db);
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS));
    expect(await migrateToLatest(database().db)).toEqual([]);
  });

  it('creates a user and finds it by id and by username in any case', async () => {
    const created = await users.create(newUser('Alex'));
    expect(created).toEqual({ id: jasmine.stringMatching(/^[0-9a-f-]{36}$/), username: 'alex', role: 'agent', displayName: 'Alex Agent' });
    expect(await users.findById(created.id)).toEqual(created);
    const row = await users.findByUsername('ALEX');
    expect(row?.id).toBe(created.id);
    expect(row?.password_hash).toBe('scrypt$hash');
    expect(row?.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await users.count()).toBe(1);
  });

  it('answers nothing for unknown users', async () => {
    expect(await users.findByUsername('nobody')).toBeUndefined();
    expect(await users.findById('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('refuses a second user with the same username, whatever its case', async () => {
    await users.create(newUser('blake'));
    await expectAsync(users.create(newUser('BLAKE'))).toBeRejectedWithError(UsernameTakenError, /"blake" is already taken/);
    expect(await users.count()).toBe(1);
  });

  it('lists users by username', async () => {
    await users.create(newUser('zoe'));
    await users.create(newUser('adam'));
    expect((await users.list()).map((u) => u.username)).toEqual(['adam', 'zoe']);
  });

  it('enforces the role and lower-case username constraints in the database itself', async () => {
    const row = { id: 'x1', display_name: 'X', password_hash: 'h', created_at: new Date().toISOString() };
    await expectAsync(
      database().db.insertInto('users').values({ ...row, username: 'x', role: 'admin' as never }).execute(),
    ).toBeRejected();
    await expectAsync(database().db.insertInto('users').values({ ...row, username: 'Mixed', role: 'agent' }).execute()).toBeRejected();
    expect(await users.count()).toBe(0);
  });
});
