import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTempDir } from '../src/testing/temp-dir';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { dropRedisKeys } from '../src/testing/redis';
import type { TestApp } from '../src/testing/test-app';
import { ApiProcess, freeRestartablePort } from './chaos/api-process';
import { startCallApp, TestClient } from './call-clients';

const JWT_SECRET = 'node-loss-secret-that-is-long-enough-for-production-0123';
const HEARTBEAT_MS = 400;
/** Three missed heartbeats, the claiming node's next beat, the grace period, a deadline poll, and slack for a busy machine. */
const PRESENCE_GRACE_SECONDS = 2;
const OFFLINE_WITHIN_MS = HEARTBEAT_MS * 4 + PRESENCE_GRACE_SECONDS * 1000 + 3000;

describe('an API node SIGKILLed while its agent never comes back (two nodes, PostgreSQL + Redis, e2e)', () => {
  let pg: TestPostgresDatabase;
  let key = '';
  let survivor: TestApp;
  let doomed: ApiProcess;
  const dataDir = createTempDir('switchboard-node-loss-');
  const clients: TestClient[] = [];

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    key = `sb-test-${randomUUID()}`;
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_ROOMS_KEY: key,
      JWT_SECRET,
      PRESENCE_GRACE_SECONDS: String(PRESENCE_GRACE_SECONDS),
      NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      DEADLINE_POLL_MS: '100',
    };
    survivor = await startCallApp(env);
    const port = await freeRestartablePort();
    doomed = new ApiProcess(port, {
      ...env,
      PORT: String(port),
      DATA_DIR: dataDir.path,
      PORTAL_DIR: join(dataDir.path, 'no-portal'),
      LOG_LEVEL: 'fatal',
      NODE_ENV: 'test',
    });
    await doomed.start();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await doomed.stop();
    await survivor.close();
    await pg.drop();
    await dropRedisKeys('redis://127.0.0.1:6379', key);
    dataDir.remove();
  });

  it('signs the agent out after the grace period and rings the next call at an agent who is there', async () => {
    const supervisor = await TestClient.connect(survivor.url, 'supervisor');
    const lost = await TestClient.connect(doomed.url, 'agent');
    clients.push(supervisor, lost);
    await lost.ok('setAvailability', { state: 'available' });
    // The lost agent has been idle longest: without liveness the next call would ring at them.
    const present = await TestClient.connect(survivor.url, 'agent2');
    clients.push(present);
    await present.ok('setAvailability', { state: 'available' });

    const killedAt = Date.now();
    await doomed.kill();
    const offline = await supervisor.next('agentStatusChanged', (s) => s.agentId === lost.userId && s.state === 'offline' && !s.connected, OFFLINE_WITHIN_MS);
    expect(offline.state).toBe('offline');
    expect(Date.now() - killedAt).toBeLessThan(OFFLINE_WITHIN_MS);

    const student = await TestClient.connect(survivor.url, 'student');
    clients.push(student);
    const { callId } = await student.ok('requestCall', {});
    expect((await present.next('callOffered', (o) => o.callId === callId)).callId).toBe(callId);
    const agents = (await supervisor.next('agentStatusChanged', (s) => s.agentId === present.userId && s.state === 'ringing')).state;
    expect(agents).toBe('ringing');
  }, 60_000);
});
