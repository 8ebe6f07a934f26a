import { JwtService } from '@nestjs/jwt';
import type { LoginResponse, SessionUser } from '@switchboard/call-domain';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_PASSWORD, DEMO_USERS, call, expectProblem, signIn } from './support';

describe('API sign-in and roles (e2e)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await app.seed(DEMO_USERS);
  });
  afterAll(() => app.close());

  for (const role of ['student', 'agent', 'supervisor'] as const) {
    it(`signs a ${role} in and answers /api/auth/me with the same user`, async () => {
      const demo = DEMO_USERS.find((u) => u.role === role);
      const login = await call<LoginResponse>(app.url, 'POST', '/api/auth/login', { body: { username: demo?.username, password: DEMO_PASSWORD } });
      expect(login.status).toBe(200);
      expect(login.body.user).toEqual({ id: jasmine.any(String), username: demo?.username ?? '', role, displayName: demo?.displayName ?? '' });
      expect(login.body.accessToken.split('.').length).toBe(3);
      expect(login.text).not.toContain('password');

      const me = await call<SessionUser>(app.url, 'GET', '/api/auth/me', { token: login.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(login.body.user);
    });
  }

  it('accepts a username in any case', async () => {
    const res = await call<LoginResponse>(app.url, 'POST', '/api/auth/login', { body: { username: 'SuperVisor', password: DEMO_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe('supervisor');
  });

  it('answers the same 401 for a wrong password and an unknown user', async () => {
    const wrong = await call(app.url, 'POST', '/api/auth/login', { body: { username: 'agent', password: 'nope-nope' } });
    const unknown = await call(app.url, 'POST', '/api/auth/login', { body: { username: 'ghost', password: 'nope-nope' } });
    for (const res of [wrong, unknown]) {
      expect(expectProblem(res, 401, 'unauthorized').detail).toBe('Invalid username or password');
    }
    expect(wrong.text).toBe(unknown.text);
  });

  it("opens supervisors' data to supervisors only (403 problem for agents and students)", async () => {
    const tokens = {
      student: (await signIn(app.url, 'student')).accessToken,
      agent: (await signIn(app.url, 'agent')).accessToken,
      supervisor: (await signIn(app.url, 'supervisor')).accessToken,
    };
    // Students' and agents' own data travels over the socket, where each event checks the role.
    for (const path of ['/api/calls', '/api/agents', '/api/queue', '/api/metrics', '/api/callbacks', '/api/users']) {
      expect((await call(app.url, 'GET', path, { token: tokens.supervisor })).status).withContext(`supervisor → ${path}`).toBe(200);
      for (const role of ['student', 'agent'] as const) {
        expect(expectProblem(await call(app.url, 'GET', path, { token: tokens[role] }), 403, 'forbidden').detail).withContext(`${role} → ${path}`).toContain('supervisor');
      }
    }
  });

  it('answers 401 problems without a token, with a malformed one, an expired one, or one signed elsewhere', async () => {
    const user = (await signIn(app.url, 'supervisor')).user;
    const claims = { sub: user.id, username: user.username, role: user.role, displayName: user.displayName };
    const expired = new JwtService({ secret: app.config.jwtSecret }).sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 });
    const foreign = new JwtService({ secret: 'some-other-secret-some-other-secret' }).sign(claims);
    for (const token of [undefined, 'not-a-jwt', expired, foreign]) {
      for (const path of ['/api/auth/me', '/api/calls']) {
        expectProblem(await call(app.url, 'GET', path, { token }), 401, 'unauthorized');
      }
    }
  });

  it('limits sign-in attempts per address and username with a 429 problem', async () => {
    const limit = app.config.loginAttemptsPerMinute;
    for (let i = 0; i < limit; i++) {
      expect((await call(app.url, 'POST', '/api/auth/login', { body: { username: 'agent2', password: `guess-${i}` } })).status).toBe(401);
    }
    const blocked = await call(app.url, 'POST', '/api/auth/login', { body: { username: 'AGENT2', password: DEMO_PASSWORD } });
    expectProblem(blocked, 429, 'rate_limited');
    expect((await call(app.url, 'POST', '/api/auth/login', { body: { username: 'agent', password: DEMO_PASSWORD } })).status).toBe(200);
  });
});
