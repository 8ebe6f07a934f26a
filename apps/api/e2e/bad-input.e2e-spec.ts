import { gzipSync } from 'node:zlib';
import type { LoggerService } from '@nestjs/common';
import type { SessionUser } from '@switchboard/call-domain';
import { bootstrap, type RunningApp } from '../src/app';
import { startTestApp, testConfig, type TestApp } from '../src/testing/test-app';
import { hashPassword } from '../src/auth/password';
import { UsersRepository } from '../src/users/users.repository';
import { DEMO_PASSWORD, DEMO_USERS, call, expectProblem, signIn } from './support';

describe('API bad input (e2e)', () => {
  let app: TestApp;
  let supervisorToken: string;
  let usersBefore: number;
  const newUser = { username: 'casey', displayName: 'Casey Agent', role: 'agent', password: 'longenough' };

  beforeAll(async () => {
    app = await startTestApp();
    await app.seed(DEMO_USERS);
    supervisorToken = (await signIn(app.url, 'supervisor')).accessToken;
  });
  beforeEach(async () => (usersBefore = await app.users.count()));
  afterAll(() => app.close());

  const createUser = (body: unknown, contentType?: string) => call(app.url, 'POST', '/api/users', { body, token: supervisorToken, contentType });
  const login = (body: unknown, contentType?: string) => call(app.url, 'POST', '/api/auth/login', { body, contentType });

  async function expectNothingChanged(): Promise<void> {
    expect(await app.users.count()).toBe(usersBefore);
    expect(await app.users.findByUsername('casey')).toBeUndefined();
  }

  it('answers malformed JSON with a 400 problem', async () => {
    for (const res of [await createUser('{"username": "casey",'), await login('{nope')]) {
      expect(expectProblem(res, 400, 'bad_request').detail).toBe('The request body is not valid JSON');
    }
    await expectNothingChanged();
  });

  it('answers a missing field with a 400 problem naming it', async () => {
    const p = expectProblem(await createUser({ ...newUser, password: undefined }), 400, 'bad_request');
    expect(p.errors).toEqual([{ path: 'password', message: jasmine.any(String) }]);
    expect(expectProblem(await login({ username: 'agent' }), 400, 'bad_request').errors?.[0].path).toBe('password');
    await expectNothingChanged();
  });

  it('answers an extra field with a 400 problem naming it', async () => {
    const p = expectProblem(await createUser({ ...newUser, isAdmin: true }), 400, 'bad_request');
    expect(p.detail).toContain('isAdmin');
    expect(expectProblem(await login({ username: 'agent', password: 'switchboard', remember: true }), 400, 'bad_request').detail).toContain('remember');
    await expectNothingChanged();
  });

  it('answers a wrong type with a 400 problem', async () => {
    const p = expectProblem(await createUser({ ...newUser, displayName: 42 }), 400, 'bad_request');
    expect(p.errors?.map((e) => e.path)).toEqual(['displayName']);
    expectProblem(await login({ username: ['agent'], password: 'switchboard' }), 400, 'bad_request');
    expectProblem(await login('[1,2]'), 400, 'bad_request');
    expectProblem(await login('"just a string"'), 400, 'bad_request');
    await expectNothingChanged();
  });

  it('answers an unknown role with a 400 problem listing the roles', async () => {
    const p = expectProblem(await createUser({ ...newUser, role: 'admin' }), 400, 'bad_request');
    expect(p.errors).toEqual([{ path: 'role', message: jasmine.stringMatching(/student.*agent.*supervisor/) }]);
    await expectNothingChanged();
  });

  it('answers a weak password with a 400 problem', async () => {
    const p = expectProblem(await createUser({ ...newUser, password: 'short' }), 400, 'bad_request');
    expect(p.detail).toContain('at least 8 characters');
    await expectNothingChanged();
  });

  it('answers a body over 64 KB with a 400 problem that names the limit', async () => {
    const big = { ...newUser, displayName: 'x'.repeat(70 * 1024) };
    expect(expectProblem(await createUser(big), 400, 'payload_too_large').detail).toContain('64 KB');
    expect(expectProblem(await login({ username: 'agent', password: 'p'.repeat(70 * 1024) }), 400, 'payload_too_large').detail).toContain('64 KB');
    await expectNothingChanged();
  });

  it('answers a body that is not JSON with a 400 problem', async () => {
    expect(expectProblem(await createUser('username=casey', 'application/x-www-form-urlencoded'), 400, 'bad_request').detail).toMatch(/JSON body/);
    await expectNothingChanged();
  });

  it('answers 401 without a token, whatever the body', async () => {
    expectProblem(await call(app.url, 'POST', '/api/users', { body: newUser }), 401, 'unauthorized');
    await expectNothingChanged();
  });

  it('creates the account from a valid body, once (409 problem the second time)', async () => {
    const created = await createUser({ ...newUser, username: 'Casey2' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(jasmine.objectContaining({ username: 'casey2', role: 'agent', displayName: 'Casey Agent' }));
    expectProblem(await createUser({ ...newUser, username: 'CASEY2' }), 409, 'conflict');
    expect(await app.users.count()).toBe(usersBefore + 1);
    const list = await call<SessionUser[]>(app.url, 'GET', '/api/users', { token: supervisorToken });
    expect(list.body.map((u) => u.username)).toContain('casey2');
    expect(list.text).not.toContain('scrypt');
  });

  it('answers unknown routes under /api with a 404 problem', async () => {
    expectProblem(await call(app.url, 'GET', '/api/nope'), 404, 'not_found');
    expectProblem(await call(app.url, 'DELETE', '/api/auth/login'), 404, 'not_found');
  });

  it('reports health with the database dialect', async () => {
    const res = await call(app.url, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: { dialect: 'sqlite', ok: true } });
  });
});

describe('API bodies that do not match their Content-Encoding (e2e)', () => {
  let running: RunningApp;
  let removeDataDir: () => void;
  const warnings: unknown[] = [];
  const errors: unknown[] = [];
  const logger: LoggerService = {
    log: () => undefined,
    warn: (message: unknown) => void warnings.push(message),
    error: (message: unknown) => void errors.push(message),
  };

  beforeAll(async () => {
    const test = testConfig();
    removeDataDir = test.removeDataDir;
    running = await bootstrap(test.config, { logger });
    await running.app.get(UsersRepository).create({ username: 'agent', displayName: 'Alex Agent', role: 'agent', passwordHash: await hashPassword(DEMO_PASSWORD) });
  });
  afterAll(async () => {
    await running.app.close();
    removeDataDir();
  });

  const login = (encoding: string, body: Uint8Array | string) =>
    fetch(`${running.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body });

  it('answers a 400 problem, logged as a warning with the encoding, when the body cannot be decompressed', async () => {
    const json = JSON.stringify({ username: 'agent', password: DEMO_PASSWORD });
    const truncated = gzipSync(json).subarray(0, 15);
    for (const [encoding, body] of [['gzip', json], ['gzip', truncated], ['deflate', 'not deflate'], ['br', 'not brotli']] as const) {
      warnings.length = 0;
      const res = await login(encoding, body);
      const answer = { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as unknown, text: '' };
      expect(expectProblem(answer, 400, 'bad_request').detail).withContext(encoding).toContain('could not be decompressed');
      expect(warnings).withContext(encoding).toEqual([jasmine.objectContaining({ msg: 'request body refused', status: 400, contentEncoding: encoding, path: '/api/auth/login' })]);
    }
    expect(errors).withContext('nothing logged as a server error').toEqual([]);
  });

  it('still reads a body that is what its Content-Encoding says', async () => {
    const res = await login('gzip', gzipSync(JSON.stringify({ username: 'agent', password: DEMO_PASSWORD })));
    expect(res.status).toBe(200);
  });
});
