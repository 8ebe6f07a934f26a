import { randomUUID } from 'node:crypto';
import { type CallNodes, onOneAndTwoNodes, pause, TestClient } from './call-clients';

/**
 * `acceptCall` with the agent's answer (made while the call rang): the accept commits as
 * before, then the answer is handled as the `sendAnswer` that would follow it — relayed to
 * the caller after `callAccepted`, and held for a caller who comes back on a new socket.
 */
type Nodes = CallNodes;

/** A ringing call whose caller offered negotiation `negotiationId`; the caller's events in arrival order. */
async function ringingCall(nodes: Nodes, agentName: string, studentName: string) {
  const agent = await TestClient.connect(nodes.agentUrl, agentName);
  const caller = await TestClient.connect(nodes.callerUrl, studentName);
  const order: string[] = [];
  caller.socket.onAny((event: string) => order.push(event));
  await agent.ok('setAvailability', { state: 'available' });
  const { callId } = await caller.ok('requestCall', {});
  const negotiationId = randomUUID();
  await caller.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: 'v=0\r\n' } });
  await agent.next('callOffered', (o) => o.callId === callId);
  await agent.next('offerRelayed', (o) => o.callId === callId);
  const answer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer' as const, sdp: 'v=0\r\na=answer-ahead\r\n' } };
  return { agent, caller, order, callId, negotiationId, answer };
}

async function acceptWithAnswer(nodes: Nodes): Promise<void> {
  const { agent, caller, order, callId, answer } = await ringingCall(nodes, 'agent', 'student');
  try {
    const accepted = await agent.ok('acceptCall', { callId, answer });
    expect(accepted.answerRelayed).toBeTrue();
    expect(accepted.caller.id).toBe(caller.userId);
    expect((await caller.next('callAccepted', (a) => a.callId === callId)).agent.id).toBe(agent.userId);
    expect(await caller.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    expect(order.filter((e) => e === 'callAccepted' || e === 'answerRelayed')).toEqual(['callAccepted', 'answerRelayed']);
    // The same answer sent again (an older portal would) is taken as any repeat is.
    await agent.ok('sendAnswer', answer);
    await caller.ok('reportMedia', { callId, state: 'connected' });
    await agent.ok('hangUp', { callId });
  } finally {
    await caller.close();
    await agent.close();
  }
}

async function badAnswerChangesNothing(nodes: Nodes): Promise<void> {
  const { agent, caller, order, callId, negotiationId, answer } = await ringingCall(nodes, 'agent2', 'student2');
  try {
    const refusals = [
      [{ callId, answer: { ...answer, description: { type: 'offer', sdp: 'v=0\r\n' } } }, 'bad_request'],
      [{ callId, answer: { ...answer, callId: randomUUID() } }, 'bad_request'],
      [{ callId, answer: { ...answer, description: { type: 'answer', sdp: '' } } }, 'bad_request'],
      [{ callId, answer: { ...answer, negotiationId: randomUUID() } }, 'stale_negotiation'],
    ] as const;
    for (const [payload, code] of refusals) {
      const reply = await agent.send('acceptCall', payload);
      expect(reply.ok ? 'accepted' : reply.error.code).withContext(JSON.stringify(payload.answer).slice(0, 120)).toBe(code);
    }
    await pause(200);
    expect(order).not.toContain('callAccepted');
    expect(order).not.toContain('answerRelayed');
    // Still ringing at the agent: a plain accept (an old portal's) and its answer work as before.
    expect(await agent.ok('acceptCall', { callId })).not.toEqual(jasmine.objectContaining({ answerRelayed: true }));
    await caller.next('callAccepted', (a) => a.callId === callId);
    await agent.ok('sendAnswer', { ...answer, negotiationId });
    expect(await caller.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    await agent.ok('hangUp', { callId });
  } finally {
    await caller.close();
    await agent.close();
  }
}

/** The caller's socket is gone when the agent accepts with its answer; its new socket gets both. */
async function callerOnNewSocketGetsHeldAnswer(nodes: Nodes): Promise<void> {
  const { agent, caller, callId, answer } = await ringingCall(nodes, 'agent3', 'student3');
  let back: TestClient | null = null;
  try {
    await caller.close();
    expect((await agent.ok('acceptCall', { callId, answer })).answerRelayed).toBeTrue();
    back = await caller.newTab(nodes.callerUrl);
    expect((await back.next('callAccepted', (a) => a.callId === callId)).agent.id).toBe(agent.userId);
    expect(await back.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    await back.ok('reportMedia', { callId, state: 'connected' });
    await agent.ok('hangUp', { callId });
  } finally {
    await back?.close();
    await agent.close();
  }
}

describe('the agent\u2019s answer sent with the accept (e2e)', () => {
  onOneAndTwoNodes((nodes) => {
    it('reaches the caller right after callAccepted', async () => acceptWithAnswer(nodes()), 20_000);
    it('refuses a bad answer with an error ack and leaves the call ringing', async () => badAnswerChangesNothing(nodes()), 20_000);
    it('is held for a caller who comes back on a new socket', async () => callerOnNewSocketGetsHeldAnswer(nodes()), 20_000);
  });
});
