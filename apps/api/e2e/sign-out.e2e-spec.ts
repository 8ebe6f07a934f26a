import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { LoginResponse } from '@switchboard/call-domain';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_PASSWORD, DEMO_USERS, call, expectProblem } from './support';

/** Connects a socket with `token`; resolves with it and 'connected' or the connect_error message. */
function connect(url: string, token: string): Promise<{ socket: Socket; outcome: string }> {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (err) => resolve({ socket, outcome: err.message }));
  });
}

/** Resolves with the reason the server gave when it closed `socket` (fails after 5 s). */
function closedByServer(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket was not closed within 5 s')), 5000);
    socket.once('disconnect', (reason) => (clearTimeout(timer), resolve(reason)));
  });
}

async function signInAs(url: string, username: string): Promise<LoginResponse> {
  const res = await call<LoginResponse>(url, 'POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } });
  if (res.status !== 200) throw new Error(`sign-in as ${username}: ${res.status} ${res.text}`);
  return res.body;
}

/**
 * Signing out: `POST /api/auth/logout` ends the token's session, a supervisor's
 * `POST /api/users/:id/sign-out` ends all of a user's sessions; the old token is then refused
 * over HTTP and at the socket handshake, and its open sockets are closed — on every node.
 */
describe('Sign-out (e2e)', () => {
  const sockets: Socket[] = [];
  afterEach(() => sockets.splice(0).forEach((s) => s.disconnect()));

  async function openSocket(url: string, token: string): Promise<Socket> {
    const { socket, outcome } = await connect(url, token);
    sockets.push(socket);
    expect(outcome).toBe('connected');
    return socket;
  }

  async function expectRefused(url: string, token: string): Promise<void> {
    expect(expectProblem(await call(url, 'GET', '/api/auth/me', { token }), 401, 'unauthorized').detail).toContain('signed out');
    const again = await connect(url, token);
    sockets.push(again.socket);
    expect(again.outcome).withContext('a new handshake with the old token').toBe('unauthorized');
  }

  describe('on one node (SQLite)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp();
      await app.seed(DEMO_USERS);
    });
    afterAll(() => app.close());

    it('ends the session of the token it is called with: HTTP 401, handshake refused, open sockets closed', async () => {
      const session = await signInAs(app.url, 'agent');
      const other = await signInAs(app.url, 'agent');
      const socket = await openSocket(app.url, session.accessToken);
      const otherSocket = await openSocket(app.url, other.accessToken);
      const closed = closedByServer(socket);

      expect((await call(app.url, 'POST', '/api/auth/logout', { token: session.accessToken })).status).toBe(204);

      expect(await closed).toBe('io server disconnect');
      await expectRefused(app.url, session.accessToken);
      expectProblem(await call(app.url, 'POST', '/api/auth/logout', { token: session.accessToken }), 401, 'unauthorized');
      // The user's other sign-in (another device) is untouched.
      expect((await call(app.url, 'GET', '/api/auth/me', { token: other.accessToken })).status).toBe(200);
      expect(otherSocket.connected).toBeTrue();
      expect((await openSocket(app.url, other.accessToken)).connected).toBeTrue();
    });

    it('needs a valid token to sign out', async () => {
      expectProblem(await call(app.url, 'POST', '/api/auth/logout'), 401, 'unauthorized');
    });

    it('lets a supervisor sign a user out everywhere, and nobody else', async () => {
      const supervisor = await signInAs(app.url, 'supervisor');
      const first = await signInAs(app.url, 'agent2');
      const second = await signInAs(app.url, 'agent2');
      const student = await signInAs(app.url, 'student');
      const sockets = [await openSocket(app.url, first.accessToken), await openSocket(app.url, second.accessToken)];
      const closed = sockets.map(closedByServer);
      const signOut = (token: string, id = first.user.id) => call(app.url, 'POST', `/api/users/${id}/sign-out`, { token });

      expectProblem(await signOut(student.accessToken), 403, 'forbidden');
      expectProblem(await signOut(first.accessToken), 403, 'forbidden');
      expect((await call(app.url, 'GET', '/api/auth/me', { token: first.accessToken })).status).withContext('refused attempts change nothing').toBe(200);
      expectProblem(await signOut(supervisor.accessToken, randomUUID()), 404, 'not_found');

      expect((await signOut(supervisor.accessToken)).status).toBe(204);
      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
      await expectRefused(app.url, first.accessToken);
      await expectRefused(app.url, second.accessToken);
      // Signing in again works, and the supervisor's own session is untouched.
      expect((await call(app.url, 'GET', '/api/auth/me', { token: (await signInAs(app.url, 'agent2')).accessToken })).status).toBe(200);
      expect((await call(app.url, 'GET', '/api/auth/me', { token: supervisor.accessToken })).status).toBe(200);
    });
  });

  describe('across two nodes (PostgreSQL + Redis)', () => {
    let pg: TestPostgresDatabase;
    let nodes: TestApp[] = [];
    beforeAll(async () => {
      pg = await createTestPostgresDatabase();
      const env = { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_ROOMS_KEY: `sb-test-${randomUUID()}` };
      const first = await startTestApp(env);
      await first.seed(DEMO_USERS);
      nodes = [first, await startTestApp(env)];
    });
    afterAll(async () => {
      for (const node of nodes) await node.close();
      await pg.drop();
    });

    it('signs out on one node and closes the sockets of that session on the other', async () => {
      const [a, b] = nodes;
      const session = await signInAs(a.url, 'agent');
      const onB = await openSocket(b.url, session.accessToken);
      const onA = await openSocket(a.url, session.accessToken);
      const closed = [closedByServer(onA), closedByServer(onB)];
      expect((await call(b.url, 'GET', '/api/auth/me', { token: session.accessToken })).status).toBe(200);

      expect((await call(a.url, 'POST', '/api/auth/logout', { token: session.accessToken })).status).toBe(204);

      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
      await expectRefused(a.url, session.accessToken);
      await expectRefused(b.url, session.accessToken);
    });

    it('signs a user out everywhere from one node, with sockets on both', async () => {
      const [a, b] = nodes;
      const supervisor = await signInAs(b.url, 'supervisor');
      const phone = await signInAs(a.url, 'student');
      const laptop = await signInAs(b.url, 'student');
      const closed = [closedByServer(await openSocket(a.url, laptop.accessToken)), closedByServer(await openSocket(b.url, phone.accessToken))];

      expect((await call(b.url, 'POST', `/api/users/${phone.user.id}/sign-out`, { token: supervisor.accessToken })).status).toBe(204);

      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
      for (const node of nodes) {
        await expectRefused(node.url, phone.accessToken);
        await expectRefused(node.url, laptop.accessToken);
      }
    });
  });
});
