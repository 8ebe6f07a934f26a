import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { createTempDir } from '../src/testing/temp-dir';
import type { TestApp } from '../src/testing/test-app';
import { startCallApp, eventually, TestClient } from './call-clients';
import { ApiProcess, freeRestartablePort } from './chaos/api-process';
import { call, expectProblem } from './support';

const DRAIN_SECONDS = 2;
const NEGOTIATION_ID = randomUUID();
/** What main.ts allows itself after draining before it gives up (CLOSE_TIMEOUT_MS), with slack for a loaded machine. */
const EXIT_BOUND_MS = (DRAIN_SECONDS + 15) * 1000;

describe('SIGTERM drains a node while another keeps serving [postgres + Redis] (e2e)', () => {
  let pg: TestPostgresDatabase;
  let dataDir: { path: string; remove(): void };
  let nodeB: TestApp;
  let nodeA: ApiProcess;
  const clients: TestClient[] = [];
  const connect = async (url: string, username: string, token?: string) => {
    const client = await TestClient.connect(url, username, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    dataDir = createTempDir();
    const shared = {
      DATABASE_URL: pg.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_ROOMS_KEY: `sb-test-${randomUUID()}`,
      PRESENCE_GRACE_SECONDS: '2',
      DEADLINE_POLL_MS: '100',
    };
    nodeB = await startCallApp(shared);
    const port = await freeRestartablePort();
    nodeA = new ApiProcess(port, {
      ...shared,
      PORT: String(port),
      DATA_DIR: dataDir.path,
      NODE_ENV: 'test',
      JWT_SECRET: nodeB.config.jwtSecret,
      PORTAL_DIR: join(dataDir.path, 'no-portal'),
      LOG_LEVEL: 'warn',
      DRAIN_SECONDS: String(DRAIN_SECONDS),
    });
    await nodeA.start();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await nodeA.kill();
    await nodeB.close();
    await pg.drop();
    dataDir.remove();
  });

  it('turns not ready, refuses new calls, closes its sockets so the call goes on at the other node, leaves its deadlines to it, and exits 0 in time', async () => {
    const db = nodeB.app.get<Kysely<Database>>(DATABASE);
    const alex = await connect(nodeA.url, 'agent');
    await alex.ok('setAvailability', { state: 'available' });
    const blake = await connect(nodeA.url, 'agent2'); // never comes back after the drain
    await blake.ok('setAvailability', { state: 'away' });
    const sam = await connect(nodeB.url, 'student');
    const kim = await connect(nodeA.url, 'student2');
    const { callId } = await sam.ok('requestCall', {});
    await sam.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId: NEGOTIATION_ID, description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' } });
    await alex.next('callOffered', (o) => o.callId === callId);
    await alex.ok('acceptCall', { callId });
    await alex.ok('reportMedia', { callId, state: 'connected' });
    await sam.ok('reportMedia', { callId, state: 'connected' });
    expect((await call(nodeA.url, 'GET', '/api/health/ready')).status).toBe(200);

    const closedByServer = new Promise<string>((resolve) => alex.socket.once('disconnect', resolve));
    const startedAt = Date.now();
    const exited = nodeA.stop();

    await eventually(async () => (await call(nodeA.url, 'GET', '/api/health/ready')).status === 503, 2_000);
    expectProblem(await call(nodeA.url, 'GET', '/api/health/ready'), 503, 'unavailable');
    expect(await kim.send('requestCall', {})).toEqual({ ok: false, error: { code: 'unavailable', message: jasmine.any(String) } });
    expect(await db.selectFrom('calls').select('id').where('caller_id', '=', kim.userId).execute()).toEqual([]);
    // Calls in progress keep signalling through the draining node until it closes the sockets.
    const messageId = randomUUID();
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    await alex.ok('sendCandidate', { callId, messageId, negotiationId: NEGOTIATION_ID, candidate });
    expect((await sam.next('candidateRelayed', (c) => c.messageId === messageId)).candidate).toEqual(candidate);

    expect(await closedByServer).toBe('io server disconnect');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(DRAIN_SECONDS * 1000 - 100);
    // The portal reconnects; here, to the other node, which carries the call on.
    const alexAgain = await connect(nodeB.url, '', alex.login.accessToken);
    await alexAgain.ok('hangUp', { callId });
    expect((await sam.next('callEnded', (e) => e.callId === callId)).outcome).toBe('answered');

    expect(await exited).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(EXIT_BOUND_MS);

    // Blake's grace period, started when the draining node closed his socket, is run by the node left.
    const blakeId = blake.userId;
    await eventually(async () => (await db.selectFrom('agent_presence').select('state').where('agent_id', '=', blakeId).executeTakeFirst())?.state === 'offline', 5_000);
    expect((await call(nodeB.url, 'GET', '/api/health/ready')).status).toBe(200);
    expect((await db.selectFrom('deadlines').select('id').where('claimed_by', 'is not', null).execute()).length).toBe(0);
  });
});
