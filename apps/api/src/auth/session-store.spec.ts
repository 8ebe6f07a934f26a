import { loadConfig } from '../config/config';
import { describeEachDialect } from '../testing/each-dialect';
import { createTempDir } from '../testing/temp-dir';
import { UsersRepository } from '../users/users.repository';
import { statementsBuiltEachTime } from '../database/prepared-queries';
import { statementsDuring } from '../testing/statements-sent';
import { SessionStore } from './session-store';

describeEachDialect('SessionStore', (database, dialect) => {
  const dir = createTempDir();
  afterAll(() => dir.remove());
  const config = () => loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x', ACCESS_TOKEN_TTL: '15m' });
  let sessions: SessionStore;
  let alex: string;
  let blake: string;

  beforeEach(async () => {
    const { db } = database();
    await db.deleteFrom('sign_in_sessions').execute();
    await db.deleteFrom('users').execute();
    const users = new UsersRepository(db);
    alex = (await users.create({ username: 'alex', displayName: 'Alex', role: 'agent', passwordHash: 'h' })).id;
    blake = (await users.create({ username: 'blake', displayName: 'Blake', role: 'agent', passwordHash: 'h' })).id;
    sessions = new SessionStore(db, config());
  });

  it('opens a session as long as a token, open for its own user only', async () => {
    const id = await sessions.open(alex);
    expect(await sessions.isOpen(id, alex)).toBeTrue();
    expect(await sessions.isOpen(id, blake)).toBeFalse();
    expect(await sessions.isOpen('00000000-0000-0000-0000-000000000000', alex)).toBeFalse();
    const row = await database().db.selectFrom('sign_in_sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(15 * 60 * 1000);
  });

  it('ends one session, and ending it again changes nothing', async () => {
    const [first, second] = [await sessions.open(alex), await sessions.open(alex)];
    await sessions.end(first);
    await sessions.end(first);
    expect([await sessions.isOpen(first, alex), await sessions.isOpen(second, alex)]).toEqual([false, true]);
  });

  it("ends every open session of one user and names them, leaving others' alone", async () => {
    const [a1, a2, b1] = [await sessions.open(alex), await sessions.open(alex), await sessions.open(blake)];
    await sessions.end(a1);
    expect(await sessions.endAllOf(alex)).toEqual([a2]);
    expect(await sessions.endAllOf(alex)).toEqual([]);
    expect([await sessions.isOpen(a2, alex), await sessions.isOpen(b1, blake)]).toEqual([false, true]);
  });

  it("deletes a user's sessions whose tokens expired when they sign in again", async () => {
    const old = await sessions.open(alex);
    await database().db.updateTable('sign_in_sessions').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', old).execute();
    await sessions.open(alex);
    const ids = (await database().db.selectFrom('sign_in_sessions').select('id').execute()).map((r) => r.id);
    expect(ids).not.toContain(old);
    expect(ids.length).toBe(1);
    expect(statementsBuiltEachTime(database().db).filter((key) => key.includes('sessions.'))).toEqual([]);
  });

  if (dialect === 'postgres') {
    it('signs in with one statement, the expired sessions deleted in it (one round trip)', async () => {
      const old = await sessions.open(alex);
      await database().db.updateTable('sign_in_sessions').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', old).execute();
      let id = '';
      expect(await statementsDuring(async () => (id = await sessions.open(alex)))).toBe(1);
      expect((await database().db.selectFrom('sign_in_sessions').select('id').execute()).map((r) => r.id)).toEqual([id]);
    });
  }
});
