import { randomUUID } from 'node:crypto';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { dropRedisKeys } from '../src/testing/redis';
import type { TestApp } from '../src/testing/test-app';
import { eventually, startCallApp, TestClient } from './call-clients';

describe('Calls across two nodes (PostgreSQL + Redis, e2e)', () => {
  let pg: TestPostgresDatabase;
  let key = '';
  let nodes: TestApp[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
    key = `sb-test-${randomUUID()}`;
    const env = { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_ROOMS_KEY: key };
    const first = await startCallApp(env);
    nodes = [first, await startCallApp(env, { seed: false })];
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const node of nodes) await node.close();
    await pg.drop();
    await dropRedisKeys('redis://127.0.0.1:6379', key);
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

  it('follows a new negotiation started on the caller\'s node at the agent\'s node, and refuses the old one there', async () => {
    const { agent, student, callId } = await ringingAcross('agent2', 'student2');
    const first = randomUUID();
    await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await agent.next('offerRelayed', (o) => o.negotiationId === first);
    await agent.ok('acceptCall', { callId });
    // The agent's node learns the first negotiation from the agent's own answer.
    await agent.ok('sendAnswer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'answer', sdp: 'v=0\r\n' } });
    await student.next('answerRelayed', (a) => a.negotiationId === first);

    // The caller re-offers through the other node: the agent's node has not seen it happen.
    const second = randomUUID();
    await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId: second, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await agent.next('offerRelayed', (o) => o.negotiationId === second);
    const answer = { callId, messageId: randomUUID(), negotiationId: second, description: { type: 'answer' as const, sdp: 'v=0\r\n' } };
    await agent.ok('sendAnswer', answer);
    expect(await student.next('answerRelayed', (a) => a.negotiationId === second)).toEqual(answer);
    const late = await agent.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: first, candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    expect(late).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'stale_negotiation' }) }));
  });

  it('gives a call that two pages of one user take up at the same moment on two nodes to one of them, on either side', async () => {
    const { agent, student, callId } = await ringingAcross('agent3', 'student3');
    await agent.ok('acceptCall', { callId });
    await student.next('callAccepted');
    // Both first tabs go (a browser that crashed); it restores two tabs of each at once, one on each node.
    agent.socket.disconnect();
    student.socket.disconnect();
    await eventually(async () => !(await (await TestClient.connect(nodes[0].url, 'student3').then(track)).ok('getLiveCall', {}))?.heldElsewhere);
    const studentTabs = await Promise.all(nodes.map((node) => TestClient.connect(node.url, 'student3').then(track)));
    const studentAnswers = await Promise.all(studentTabs.map((tab) => tab.send('resumeCall', { callId })));
    expect(studentAnswers.filter((ack) => ack.ok).length).withContext(JSON.stringify(studentAnswers)).toBe(1);
    const studentViews = await Promise.all(studentTabs.map((tab) => tab.ok('getLiveCall', {})));
    expect(studentViews.map((view) => view?.heldElsewhere).sort()).toEqual([false, true]);

    // An agent's tab takes its call up as it connects when no other tab holds it, or with resumeCall.
    const agentTabs = await Promise.all(nodes.map((node) => TestClient.connect(node.url, 'agent3').then(track)));
    const agentAnswers = await Promise.all(agentTabs.map((tab) => tab.send('resumeCall', { callId })));
    expect(agentAnswers.filter((ack) => ack.ok).length).withContext(JSON.stringify(agentAnswers)).toBe(1);
    const agentViews = await Promise.all(agentTabs.map((tab) => tab.ok('getLiveCall', {})));
    expect(agentViews.map((view) => view?.heldElsewhere).sort()).toEqual([false, true]);
    await studentTabs[0].ok('hangUp', { callId }).catch(() => studentTabs[1].ok('hangUp', { callId }));
  });

  /** `username`'s call ringing at `agentName`, the agent on the first node and the student on the second. */
  async function ringingAcross(agentName: string, username: string): Promise<{ agent: TestClient; student: TestClient; callId: string }> {
    const agent = track(await TestClient.connect(nodes[0].url, agentName));
    const student = track(await TestClient.connect(nodes[1].url, username));
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await student.ok('requestCall', {});
    await agent.next('callOffered', (o) => o.callId === callId);
    return { agent, student, callId };
  }

  function track(client: TestClient): TestClient {
    clients.push(client);
    return client;
  }
});
