import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import type { TestApp } from '../src/testing/test-app';
import { startCallApp, TestClient } from './call-clients';
import { call, expectProblem, signIn } from './support';

/** Text PostgreSQL refuses (NUL) or neither database keeps as sent (an unpaired surrogate). */
const UNSTORABLE = ['stu\u0000dent', 'lone \uD800 surrogate'];

/** Text both databases keep exactly. */
const FAITHFUL = 'Zoë — résumé 😀 ＝1+1 \u0001';

/**
 * Every text input gets the same clear answer on SQLite and PostgreSQL: text no database can
 * store is refused with a 400 problem (HTTP) or a `bad_request` ack (socket) before anything is
 * read or written; other text is stored exactly.
 */
for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Text no database can store [${dialect}] (e2e)`, () => {
    let app: TestApp;
    let pg: TestPostgresDatabase | null = null;
    let db: Kysely<Database>;
    let supervisor: string;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : null;
      app = await startCallApp({ MAX_WAIT_SECONDS: '2', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      db = app.app.get<Kysely<Database>>(DATABASE);
      supervisor = (await signIn(app.url, 'supervisor')).accessToken;
    });
    afterAll(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await app.close();
      await pg?.drop();
    });

    const get = (path: string) => call(app.url, 'GET', path, { token: supervisor });
    const post = (path: string, body: unknown) => call(app.url, 'POST', path, { token: supervisor, body });

    async function connect(username: string): Promise<TestClient> {
      const client = await TestClient.connect(app.url, username);
      clients.push(client);
      return client;
    }

    it('refuses it in the sign-in username and password with a 400 problem', async () => {
      for (const text of UNSTORABLE) {
        for (const body of [{ username: text, password: 'switchboard' }, { username: 'student', password: text }]) {
          const problem = expectProblem(await call(app.url, 'POST', '/api/auth/login', { body }), 400, 'bad_request');
          expect(problem.detail).toContain('NUL');
        }
      }
    });

    it('refuses it in a new account, which is not created', async () => {
      const before = await app.users.count();
      for (const text of UNSTORABLE) {
        const problem = expectProblem(await post('/api/users', { username: 'casey', displayName: `Casey ${text}`, role: 'agent', password: 'longenough' }), 400, 'bad_request');
        expect(problem.errors).toEqual([{ path: 'displayName', message: jasmine.stringContaining('NUL') }]);
      }
      expect(await app.users.count()).toBe(before);
      const created = await post('/api/users', { username: 'casey', displayName: FAITHFUL, role: 'agent', password: 'longenough' });
      expect(created.status).toBe(201);
      expect((await app.users.findByUsername('casey'))?.display_name).toBe(FAITHFUL);
    });

    it('refuses it in history filters, the CSV export and path ids with a 400 problem (not a cut download)', async () => {
      // A URL cannot carry an unpaired surrogate (percent-encoded UTF-8 has none): NUL is the case here.
      for (const raw of ['%00', 'a%00b']) {
        for (const path of [`/api/calls?student=${raw}`, `/api/calls?agentId=${raw}`, `/api/calls/export.csv?student=${raw}`, `/api/calls/${raw}`]) {
          expectProblem(await get(path), 400, 'bad_request');
        }
        expectProblem(await post(`/api/agents/${raw}/state`, { state: 'away' }), 400, 'bad_request');
        expectProblem(await post(`/api/callbacks/${raw}/done`, {}), 400, 'bad_request');
        expectProblem(await post(`/api/users/${raw}/sign-out`, {}), 400, 'bad_request');
      }
      const csv = await get(`/api/calls/export.csv?student=${encodeURIComponent(FAITHFUL)}`);
      expect(csv.status).toBe(200);
    });

    it('refuses it in wrap-up notes and callback notes over the socket with bad_request, and stores other text exactly', async () => {
      const agent = await connect('agent');
      const student = await connect('student');
      await agent.ok('setAvailability', { state: 'available' });
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered', (o) => o.callId === callId);
      await agent.ok('acceptCall', { callId });
      await student.ok('hangUp', { callId });
      await agent.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      for (const text of UNSTORABLE) {
        const refused = await agent.send('completeWrapUp', { callId, disposition: 'Resolved', notes: `Reset ${text}` });
        expect(refused).toEqual({ ok: false, error: { code: 'bad_request', message: jasmine.stringContaining('notes') } });
        const refusedDisposition = await agent.send('completeWrapUp', { callId, disposition: text, notes: '' });
        expect(refusedDisposition).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'bad_request' }) }));
      }
      expect((await db.selectFrom('calls').select('notes').where('id', '=', callId).executeTakeFirstOrThrow()).notes).withContext('nothing saved').toBeNull();
      await agent.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: FAITHFUL });
      expect((await db.selectFrom('calls').select('notes').where('id', '=', callId).executeTakeFirstOrThrow()).notes).toBe(FAITHFUL);

      // A call nobody answers (MAX_WAIT_SECONDS=2) lets the student ask for a callback.
      await agent.next('agentStatusChanged', (s) => s.state === 'available');
      const unanswered = await student.ok('requestCall', {});
      await agent.next('callOffered', (o) => o.callId === unanswered.callId);
      await student.next('callEnded', (e) => e.callId === unanswered.callId, 6000);
      for (const text of UNSTORABLE) {
        const refused = await student.send('requestCallback', { callId: unanswered.callId, note: `After ${text}` });
        expect(refused).toEqual({ ok: false, error: { code: 'bad_request', message: jasmine.stringContaining('note') } });
      }
      expect(await db.selectFrom('callback_requests').selectAll().execute()).withContext('nothing saved').toEqual([]);
      const { callbackId } = await student.ok('requestCallback', { callId: unanswered.callId, note: FAITHFUL });
      expect((await db.selectFrom('callback_requests').select('note').where('id', '=', callbackId).executeTakeFirstOrThrow()).note).toBe(FAITHFUL);
    });
  });
}
