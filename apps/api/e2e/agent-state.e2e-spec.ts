import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { LoginResponse } from '@switchboard/call-domain';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import type { TestApp } from '../src/testing/test-app';
import { pause, startCallApp, TestClient } from './call-clients';
import { call, DEMO_PASSWORD, expectProblem } from './support';

describe('Supervisor sets an agent Away or Offline (e2e)', () => {
  let app: TestApp;
  let db: Kysely<Database>;
  let supervisorToken: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    app = await startCallApp();
    db = app.app.get<Kysely<Database>>(DATABASE);
    supervisorToken = (await call<LoginResponse>(app.url, 'POST', '/api/auth/login', { body: { username: 'supervisor', password: DEMO_PASSWORD } })).body.accessToken;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await pause(100);
  });
  afterAll(() => app.close());

  async function connect(username: string): Promise<TestClient> {
    const client = await TestClient.connect(app.url, username);
    clients.push(client);
    return client;
  }

  const setState = (agentId: string, body: unknown, token = supervisorToken) => call(app.url, 'POST', `/api/agents/${agentId}/state`, { body, token });

  it('puts an Available agent Away, then Offline: recorded with who and why, pushed to the agent’s tabs and to supervisors', async () => {
    const alex = await connect('agent');
    await alex.ok('setAvailability', { state: 'available' });
    const board = await connect('supervisor');

    const away = await setState(alex.userId, { state: 'away' });
    expect(away.status).withContext(away.text).toBe(200);
    expect(await alex.next('agentStatusChanged', (s) => s.state === 'away')).toEqual(jasmine.objectContaining({ agentId: alex.userId, connected: true }));
    expect((await board.next('agentStatusChanged', (s) => s.agentId === alex.userId && s.state === 'away')).displayName).toBe('Alex Agent');

    const offline = await setState(alex.userId, { state: 'offline' });
    expect(offline.status).withContext(offline.text).toBe(200);
    await alex.next('agentStatusChanged', (s) => s.state === 'offline');
    await board.next('agentStatusChanged', (s) => s.agentId === alex.userId && s.state === 'offline');

    const supervisorId = (await db.selectFrom('users').select('id').where('username', '=', 'supervisor').executeTakeFirstOrThrow()).id;
    const changes = await db.selectFrom('agent_state_changes').select(['from_state', 'to_state', 'by_user_id', 'reason']).where('agent_id', '=', alex.userId).orderBy('at').execute();
    expect(changes.slice(-2)).toEqual([
      { from_state: 'available', to_state: 'away', by_user_id: supervisorId, reason: jasmine.any(String) },
      { from_state: 'away', to_state: 'offline', by_user_id: supervisorId, reason: jasmine.any(String) },
    ]);
    // The agent's own way back is one click.
    expect((await alex.ok('setAvailability', { state: 'available' })).state).toBe('available');
  });

  it('refuses with a 409 problem while the agent is ringing or on a call, and changes nothing', async () => {
    const blake = await connect('agent2');
    await blake.ok('setAvailability', { state: 'available' });
    const student = await connect('student');
    const { callId } = await student.ok('requestCall', {});
    await blake.next('callOffered');
    expectProblem(await setState(blake.userId, { state: 'away' }), 409, 'invalid_state');
    await blake.ok('acceptCall', { callId });
    expectProblem(await setState(blake.userId, { state: 'offline' }), 409, 'invalid_state');
    expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', blake.userId).executeTakeFirstOrThrow()).state).toBe('on_call');
    await student.ok('hangUp', { callId });
  });

  it('is for supervisors only, validates the body, and answers 404 for an unknown agent', async () => {
    const agentToken = (await call<LoginResponse>(app.url, 'POST', '/api/auth/login', { body: { username: 'agent3', password: DEMO_PASSWORD } })).body.accessToken;
    const agentId = (await db.selectFrom('users').select('id').where('username', '=', 'agent3').executeTakeFirstOrThrow()).id;
    expectProblem(await setState(agentId, { state: 'away' }, agentToken), 403, 'forbidden');
    expectProblem(await call(app.url, 'POST', `/api/agents/${agentId}/state`, { body: { state: 'away' } }), 401, 'unauthorized');
    for (const bad of [{ state: 'available' }, { state: 'on_call' }, {}, { state: 'away', extra: 1 }]) {
      expectProblem(await setState(agentId, bad), 400, 'bad_request');
    }
    expectProblem(await setState(randomUUID(), { state: 'away' }), 404, 'not_found');
  });
});
