import { randomUUID } from 'node:crypto';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import type { TestApp } from '../src/testing/test-app';
import { startCallApp, TestClient } from './call-clients';

describe('Calls across two nodes (PostgreSQL + Redis, e2e)', () => {
  let pg: TestPostgresDatabase;
  let nodes: TestApp[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    const env = { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_ROOMS_KEY: `sb-test-${randomUUID()}` };
    const first = await startCallApp(env);
    nodes = [first, await startCallApp(env, { seed: false })];
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const node of nodes) await node.close();
    await pg.drop();
  });

  it('offers, accepts and relays signaling between a caller and an agent on different nodes', async () => {
    const agent = await TestClient.connect(nodes[0].url, 'agent');
    const student = await TestClient.connect(nodes[1].url, 'student');
    clients.push(agent, student);
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await student.ok('requestCall', {});
    expect((await agent.next('callOffered')).callId).toBe(callId);
    const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: 'v=0\r\n' } };
    await student.ok('sendOffer', offer);
    expect(await agent.next('offerRelayed')).toEqual(offer);
    await agent.ok('acceptCall', { callId });
    expect((await student.next('callAccepted')).agent.displayName).toBe('Alex Agent');
    const answer = { callId, messageId: randomUUID(), description: { type: 'answer' as const, sdp: 'v=0\r\n' } };
    await agent.ok('sendAnswer', answer);
    expect(await student.next('answerRelayed')).toEqual(answer);
  });
});
