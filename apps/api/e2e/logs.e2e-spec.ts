import { executionAsyncId } from 'node:async_hooks';
import { join } from 'node:path';
import { openMigratedDatabase } from '../src/database/database';
import { createTempDir } from '../src/testing/temp-dir';
import { createAccount } from '../src/users/user-accounts';
import { UsersRepository } from '../src/users/users.repository';
import { CALL_USERS, callAppPerSpec, eventually, TestClient } from './call-clients';
import { ApiProcess, freeRestartablePort } from './chaos/api-process';
import { call } from './support';

/** Every line the process printed, parsed (a line that is not JSON fails the spec). */
function logLines(api: ApiProcess): Record<string, unknown>[] {
  return api.recentOutput
    .split('\n')
    .slice(1, -1) // the first may be cut by the output buffer, the last may be incomplete
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`Not a JSON log line: ${line}`);
      }
    });
}

describe('Logs: JSON lines with the request id and the call id (e2e)', () => {
  const dir = createTempDir();
  let api: ApiProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    const file = join(dir.path, 'switchboard.sqlite');
    const { db } = await openMigratedDatabase({ dialect: 'sqlite', file });
    const users = new UsersRepository(db);
    for (const user of CALL_USERS) await createAccount(users, user);
    await db.destroy();
    const port = await freeRestartablePort();
    api = new ApiProcess(port, {
      PORT: String(port),
      DATA_DIR: dir.path,
      NODE_ENV: 'test',
      JWT_SECRET: 'logs-secret-that-is-long-enough-for-production-0123',
      PORTAL_DIR: join(dir.path, 'no-portal'),
      LOG_LEVEL: 'log',
      DRAIN_SECONDS: '0',
    });
    await api.start();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await api.stop();
    dir.remove();
  });

  it("answers and logs every HTTP request with an id: the client's X-Request-Id, or a new one", async () => {
    const given = await fetch(`${api.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'probe-4711' },
      body: JSON.stringify({ username: 'nobody', password: 'wrong' }),
    });
    expect(given.status).toBe(401);
    expect(given.headers.get('x-request-id')).toBe('probe-4711');
    const made = await fetch(`${api.url}/api/call-settings`, { headers: { 'x-request-id': 'not a sane id\u00e9' } });
    const madeId = made.headers.get('x-request-id') ?? '';
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);

    const lines = await eventually(async () => {
      const all = logLines(api);
      return all.some((l) => l['reqId'] === madeId) ? all : null;
    });
    expect(lines).toContain(jasmine.objectContaining({ reqId: 'probe-4711', msg: 'request completed', req: { id: 'probe-4711', method: 'POST', url: '/api/auth/login' }, res: { statusCode: 401 } }));
    expect(lines).toContain(jasmine.objectContaining({ reqId: madeId, level: 'info', res: { statusCode: 401 } }));
    // No credentials in the log.
    expect(api.recentOutput).not.toContain('wrong');
  });

  it('names the call on every line about it', async () => {
    const agent = await TestClient.connect(api.url, 'agent');
    const student = await TestClient.connect(api.url, 'student');
    clients.push(agent, student);
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await student.ok('requestCall', {});
    await agent.next('callOffered');
    await agent.ok('acceptCall', { callId });
    await agent.ok('hangUp', { callId });

    const lines = await eventually(async () => {
      const all = logLines(api);
      return all.some((l) => l['msg'] === 'callEnded' && l['callId'] === callId) ? all : null;
    });
    expect(lines.filter((l) => l['callId'] === callId).map((l) => l['msg'])).toEqual(jasmine.arrayContaining(['callQueued', 'callAccepted', 'callEnded']));
    expect(lines).toContain(jasmine.objectContaining({ msg: 'callEnded', callId, outcome: 'failed', context: 'Calls', level: 'info' }));
    const aboutTheCall = lines.filter((l) => JSON.stringify(l).includes(callId));
    for (const line of aboutTheCall) expect(line['callId']).withContext(JSON.stringify(line)).toBe(callId);
  });
});

describe("Logs: the request context is kept only while a request is answered (e2e, in process)", () => {
  const calls = callAppPerSpec('sqlite', { LOG_LEVEL: 'fatal' });

  /** Inside a promise's reaction `executionAsyncId()` is the promise's own id while Node runs async hooks on promises, 0 when it does not. */
  const promiseHooksOn = async () => (await Promise.resolve().then(() => executionAsyncId())) !== 0;

  it('leaves socket events and ledger transactions without async hooks once the sign-ins are answered', async () => {
    const agent = await calls.connect('agent');
    const student = await calls.connect('student');
    expect((await call(calls.app.url, 'GET', '/api/health')).status).toBe(200);
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await student.ok('requestCall', {});
    await agent.next('callOffered');
    await agent.ok('acceptCall', { callId });
    expect(await promiseHooksOn()).toBeFalse();
  });
});
