import { randomUUID } from 'node:crypto';
import { type CallNodes, onOneAndTwoNodes, pause, TestClient } from './call-clients';

/**
 * The ringing agent's provisional answer (`sendAnswer` with `provisional: true`, early media):
 * the agent the call rings for — only that agent, for the current negotiation — answers and
 * sends candidates before Accept, relayed to the caller; everyone else is refused with an ack
 * code and nothing reaches the caller. A ring that ends without accept tells the caller
 * `ringEnded`, and the next agent answers the caller's new negotiation.
 */
type Nodes = CallNodes;

const candidate = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null };

async function offer(caller: TestClient, callId: string, earlyMedia = true): Promise<string> {
  const negotiationId = randomUUID();
  await caller.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, ...(earlyMedia ? { earlyMedia } : {}), description: { type: 'offer', sdp: `v=0\r\na=n:${negotiationId}\r\n` } });
  return negotiationId;
}

function provisional(callId: string, negotiationId: string) {
  return { callId, messageId: randomUUID(), negotiationId, provisional: true as const, description: { type: 'answer' as const, sdp: 'v=0\r\na=provisional\r\n' } };
}

async function answeredWhileRinging(nodes: Nodes): Promise<void> {
  const agent = await TestClient.connect(nodes.agentUrl, 'agent');
  const caller = await TestClient.connect(nodes.callerUrl, 'student');
  const order: string[] = [];
  caller.socket.onAny((event: string) => order.push(event));
  try {
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await caller.ok('requestCall', {});
    const negotiationId = await offer(caller, callId);
    await agent.next('callOffered', (o) => o.callId === callId);
    await agent.next('offerRelayed', (o) => o.callId === callId);
    const answer = provisional(callId, negotiationId);
    await agent.ok('sendAnswer', answer);
    expect(await caller.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    const mine = { callId, messageId: randomUUID(), negotiationId, candidate };
    await agent.ok('sendCandidate', mine);
    expect(await caller.next('candidateRelayed', (c) => c.callId === callId)).toEqual(mine);
    // The call still rings: media may not be reported connected before Accept.
    expect(order).not.toContain('callAccepted');
    const early = await caller.send('reportMedia', { callId, state: 'connected' });
    expect(early.ok).toBeFalse();
    // Accept without an answer (it went ahead): the call is accepted as always, nothing else is relayed.
    const relayedBefore = order.length;
    const accepted = await agent.ok('acceptCall', { callId });
    expect(accepted.answerRelayed).toBeUndefined();
    await caller.next('callAccepted', (a) => a.callId === callId);
    // Once accepted, a provisional answer is refused.
    const late = await agent.send('sendAnswer', provisional(callId, negotiationId));
    expect(late.ok ? 'relayed' : late.error.code).toBe('invalid_state');
    await caller.ok('reportMedia', { callId, state: 'connected' });
    await pause(100);
    expect(order.slice(relayedBefore).filter((e) => e === 'answerRelayed')).toEqual([]);
    await agent.ok('hangUp', { callId });
  } finally {
    await caller.close();
    await agent.close();
  }
}

async function othersAreRefused(nodes: Nodes): Promise<void> {
  const agent = await TestClient.connect(nodes.agentUrl, 'agent2');
  const other = await TestClient.connect(nodes.agentUrl, 'agent3');
  const caller = await TestClient.connect(nodes.callerUrl, 'student2');
  const order: string[] = [];
  caller.socket.onAny((event: string) => order.push(event));
  try {
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await caller.ok('requestCall', {});
    await agent.next('callOffered', (o) => o.callId === callId);
    // No offer yet: nothing to answer.
    const tooSoon = await agent.send('sendAnswer', provisional(callId, randomUUID()));
    expect(tooSoon.ok ? 'relayed' : tooSoon.error.code).toBe('invalid_state');
    const negotiationId = await offer(caller, callId);
    await other.ok('setAvailability', { state: 'available' });
    const refusals = [
      [other, 'sendAnswer', provisional(callId, negotiationId), 'forbidden'],
      [other, 'sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate }, 'forbidden'],
      [caller, 'sendAnswer', provisional(callId, negotiationId), 'forbidden'],
      [agent, 'sendAnswer', provisional(callId, randomUUID()), 'stale_negotiation'],
      // Without the flag an answer still needs the accept first.
      [agent, 'sendAnswer', { ...provisional(callId, negotiationId), provisional: undefined }, 'forbidden'],
      [agent, 'sendAnswer', { ...provisional(callId, negotiationId), provisional: false }, 'bad_request'],
    ] as const;
    for (const [client, event, payload, code] of refusals) {
      const reply = await client.send(event, payload);
      expect(reply.ok ? 'relayed' : reply.error.code).withContext(`${client.login.user.username} ${event} ${JSON.stringify(payload).slice(0, 80)}`).toBe(code);
    }
    // An older caller's offer (no earlyMedia) takes no provisional answer.
    const older = await offer(caller, callId, false);
    const notTaken = await agent.send('sendAnswer', provisional(callId, older));
    expect(notTaken.ok ? 'relayed' : notTaken.error.code).toBe('invalid_state');
    // Nor its candidates before Accept.
    const notTakenCandidate = await agent.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: older, candidate });
    expect(notTakenCandidate.ok ? 'relayed' : notTakenCandidate.error.code).toBe('invalid_state');
    // A candidate of the ringing agent for another negotiation is refused too.
    const current = await offer(caller, callId);
    await agent.ok('sendAnswer', provisional(callId, current));
    await caller.next('answerRelayed', (a) => a.callId === callId);
    const stale = await agent.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: randomUUID(), candidate });
    expect(stale.ok ? 'relayed' : stale.error.code).toBe('stale_negotiation');
    await pause(150);
    expect(order.filter((e) => e === 'answerRelayed' || e === 'candidateRelayed')).toEqual(['answerRelayed']);
    await caller.ok('cancelCall', { callId });
    // Off duty, so that the next spec's call rings only where it says.
    await agent.ok('setAvailability', { state: 'away' });
    await other.ok('setAvailability', { state: 'away' });
  } finally {
    await caller.close();
    await other.close();
    await agent.close();
  }
}

/** Declined after a provisional answer: the caller is told, offers anew, and the next agent answers that negotiation. */
async function voidedByDecline(nodes: Nodes): Promise<void> {
  const first = await TestClient.connect(nodes.agentUrl, 'agent');
  const caller = await TestClient.connect(nodes.callerUrl, 'student3');
  let second: TestClient | null = null;
  try {
    await first.ok('setAvailability', { state: 'available' });
    const { callId } = await caller.ok('requestCall', {});
    const negotiationId = await offer(caller, callId);
    await first.next('callOffered', (o) => o.callId === callId);
    await first.ok('sendAnswer', provisional(callId, negotiationId));
    await caller.next('answerRelayed', (a) => a.callId === callId);
    second = await TestClient.connect(nodes.agentUrl, 'agent2');
    await first.ok('declineCall', { callId });
    await caller.next('ringEnded', (e) => e.callId === callId);
    // The agent who declined answers nothing any more.
    const after = await first.send('sendAnswer', provisional(callId, negotiationId));
    expect(after.ok ? 'relayed' : after.error.code).toBe('forbidden');
    const afterCandidate = await first.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate });
    expect(afterCandidate.ok ? 'relayed' : afterCandidate.error.code).toBe('forbidden');
    await second.ok('setAvailability', { state: 'available' });
    await second.next('callOffered', (o) => o.callId === callId);
    const renewed = await offer(caller, callId);
    await second.next('offerRelayed', (o) => o.negotiationId === renewed);
    // The voided negotiation is stale for the next agent; the new one is answered.
    const old = await second.send('sendAnswer', provisional(callId, negotiationId));
    expect(old.ok ? 'relayed' : old.error.code).toBe('stale_negotiation');
    const answer = provisional(callId, renewed);
    await second.ok('sendAnswer', answer);
    expect(await caller.next('answerRelayed', (a) => a.messageId === answer.messageId)).toEqual(answer);
    // The accept carries the provisional answer again, as the portal sends it: relayed once, as the accepted answer.
    const accepted = { callId, messageId: randomUUID(), negotiationId: renewed, description: answer.description };
    expect((await second.ok('acceptCall', { callId, answer: accepted })).answerRelayed).toBeTrue();
    await caller.next('callAccepted', (a) => a.callId === callId);
    expect(await caller.next('answerRelayed', (a) => a.messageId === accepted.messageId)).toEqual(accepted);
    await caller.ok('reportMedia', { callId, state: 'connected' });
    await second.ok('hangUp', { callId });
  } finally {
    await caller.close();
    await second?.close();
    await first.close();
  }
}

describe('the ringing agent\u2019s provisional answer (e2e)', () => {
  onOneAndTwoNodes((nodes) => {
    it('is relayed to the caller before Accept, with its candidates', async () => answeredWhileRinging(nodes()), 20_000);
    it('is refused with an ack code from anyone but the ringing agent, or for another negotiation', async () => othersAreRefused(nodes()), 20_000);
    it('is void when the agent declines: the next agent answers the caller\u2019s new negotiation', async () => voidedByDecline(nodes()), 20_000);
  });
});
