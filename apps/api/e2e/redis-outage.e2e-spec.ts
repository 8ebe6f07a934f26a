import { randomUUID } from 'node:crypto';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { PrivateRedis } from '../src/testing/redis';
import type { TestApp } from '../src/testing/test-app';
import { pause, startCallApp, TestClient } from './call-clients';
import { call } from './support';

/** How long Redis is gone. */
const OUTAGE_MS = 10_000;
/** How long after Redis is back everything that happened during the outage must have arrived. */
const CATCH_UP_MS = 8_000;

describe('a 10 s Redis outage in the middle of a call across two nodes (PostgreSQL + private Redis, e2e)', () => {
  let pg: TestPostgresDatabase;
  let redis: PrivateRedis;
  let nodes: TestApp[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    redis = await PrivateRedis.start();
    const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url, REDIS_ROOMS_KEY: `sb-test-${randomUUID()}` };
    nodes = [await startCallApp(env), await startCallApp(env, { seed: false })];
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const node of nodes) await node.close();
    await redis.stop();
    await pg.drop();
  });

  it('delivers the accept, the answer, a candidate and the hang-up made during the outage to the caller on the other node, in order, once Redis is back', async () => {
    const agent = await TestClient.connect(nodes[0].url, 'agent');
    const student = await TestClient.connect(nodes[1].url, 'student');
    clients.push(agent, student);
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await student.ok('requestCall', {});
    await agent.next('callOffered', (o) => o.callId === callId);
    const negotiationId = randomUUID();
    await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await agent.next('offerRelayed', (o) => o.callId === callId);

    const order: string[] = [];
    student.socket.onAny((event: string, payload: { callId?: string }) => {
      if (payload?.callId === callId && ['callAccepted', 'answerRelayed', 'candidateRelayed', 'callEnded'].includes(event)) order.push(event);
    });
    await redis.stop();
    const outageStarted = Date.now();
    await agent.ok('acceptCall', { callId });
    const answer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer' as const, sdp: 'v=0\r\n' } };
    await agent.ok('sendAnswer', answer);
    const candidate = { callId, messageId: randomUUID(), negotiationId, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5001 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    await agent.ok('sendCandidate', candidate);
    await agent.ok('hangUp', { callId });
    await pause(OUTAGE_MS - (Date.now() - outageStarted));
    await redis.resume();

    const ended = await student.next('callEnded', (e) => e.callId === callId, CATCH_UP_MS);
    expect(ended.outcome).toBe('failed');
    expect(order).toEqual(['callAccepted', 'answerRelayed', 'candidateRelayed', 'callEnded']);
    expect(await student.next('answerRelayed', (a) => a.callId === callId, 0)).toEqual(answer);
    expect(await student.next('candidateRelayed', (c) => c.callId === callId, 0)).toEqual(candidate);
  }, 40_000);
});

describe('Redis dying while the Streams adapter has a command in flight (SQLite + private Redis, e2e)', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  const clients: TestClient[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeEach(async () => {
    redis = await PrivateRedis.start();
    app = await startCallApp({ REDIS_URL: redis.url, REDIS_ROOMS_KEY: `sb-test-${randomUUID()}` });
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await app.close();
    await redis.stop();
  });

  it('keeps the node up when the session of a dropped socket cannot be kept (its SET is lost with Redis)', async () => {
    const student = await TestClient.connect(app.url, 'student');
    clients.push(student);
    redis.freeze();
    // The student's network drops: the server keeps the socket's session for recovery, a SET
    // that Redis takes but never answers.
    student.socket.io.engine.close();
    await pause(300);
    await redis.stop();
    await pause(500);

    expect(unhandled.map(String)).toEqual([]);
    expect((await call(app.url, 'GET', '/api/health/live')).status).toBe(200);
  }, 20_000);
});
