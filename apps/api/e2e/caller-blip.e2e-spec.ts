import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LoginResponse, ServerToClientEvents } from '@switchboard/call-domain';
import { eventually, onOneAndTwoNodes, TestClient } from './call-clients';
import { call, DEMO_PASSWORD } from './support';

/** How long the caller's network is gone: shorter than the caller's grace period, longer than the agent takes. */
const BLIP_MS = 5000;

/**
 * A caller's tab whose socket reconnects by itself as the portal's does (socket.io-client's
 * Manager, same `Socket`), after exactly {@link BLIP_MS} once its transport is cut.
 */
class BlippingCaller {
  readonly events: { event: string; payload: unknown }[] = [];
  private constructor(readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    socket.onAny((event: string, payload: unknown) => this.events.push({ event, payload }));
  }

  static async connect(baseUrl: string, username: string): Promise<BlippingCaller> {
    const login = (await call<LoginResponse>(baseUrl, 'POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } })).body;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseUrl, {
      path: '/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: BLIP_MS,
      reconnectionDelayMax: BLIP_MS,
      randomizationFactor: 0,
      auth: (send) => send({ token: login.accessToken }),
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new BlippingCaller(socket);
  }

  async send<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
    const reply = (await (this.socket.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<{ ok: boolean; data: T; error?: unknown }> }).emitWithAck(event, payload));
    if (!reply.ok) throw new Error(`${event} refused: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  /** Cuts the connection (the server sees the transport close); it comes back after {@link BLIP_MS}. */
  blip(): void {
    this.socket.io.engine.close();
  }

  reconnected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** The agent accepts, answers and trickles candidates while the caller is cut off; the caller must get all of it once back. */
async function acceptDuringCallerBlip(agentUrl: string, callerUrl: string, agentName: string, studentName: string): Promise<void> {
  const agent = await TestClient.connect(agentUrl, agentName);
  const caller = await BlippingCaller.connect(callerUrl, studentName);
  try {
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await caller.send<{ callId: string }>('requestCall', {});
    const negotiationId = randomUUID();
    await caller.send('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await agent.next('callOffered', (o) => o.callId === callId);
    await agent.next('offerRelayed', (o) => o.callId === callId);
    // The caller has heard from the server (its place in line) before the network goes.
    await eventually(async () => caller.events.some((e) => e.event === 'queueUpdated'));

    const back = caller.reconnected();
    const cutAt = Date.now();
    caller.blip();
    await agent.ok('acceptCall', { callId });
    const answer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer' as const, sdp: 'v=0\r\n' } };
    await agent.ok('sendAnswer', answer);
    const candidates = [1, 2].map((n) => ({ callId, messageId: randomUUID(), negotiationId, candidate: { candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } }));
    for (const candidate of candidates) await agent.ok('sendCandidate', candidate);
    expect(caller.socket.connected).withContext('the accept and answer happened while the caller was away').toBeFalse();
    await back;
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(BLIP_MS - 100);

    // Wait for the last message sent in the gap; if it never comes, the expectations below say what is missing.
    await eventually(async () => caller.events.some((e) => e.event === 'candidateRelayed' && (e.payload as { messageId: string }).messageId === candidates[1].messageId), 5000).catch(() => undefined);
    const ofCall = caller.events.filter((e) => ['callAccepted', 'answerRelayed', 'candidateRelayed'].includes(e.event) && (e.payload as { callId: string }).callId === callId);
    expect(ofCall.map((e) => e.event)).toEqual(['callAccepted', 'answerRelayed', 'candidateRelayed', 'candidateRelayed']);
    expect(ofCall[1].payload).toEqual(answer);
    expect(ofCall.slice(2).map((e) => e.payload)).toEqual(candidates);
    // The call carries on: the caller's media report is taken.
    await caller.send('reportMedia', { callId, state: 'connected' });
    await agent.ok('hangUp', { callId });
  } finally {
    caller.close();
    await agent.close();
  }
}

/**
 * The same, but the caller comes back on a new socket (not recovered by Socket.IO, as after its
 * node restarted): it is told of the accept and gets the held answer and candidates from the
 * database.
 */
async function acceptWhileCallerOnNewSocket(agentUrl: string, callerUrl: string, agentName: string, studentName: string): Promise<void> {
  const agent = await TestClient.connect(agentUrl, agentName);
  const first = await TestClient.connect(callerUrl, studentName);
  let back: TestClient | null = null;
  try {
    await agent.ok('setAvailability', { state: 'available' });
    const { callId } = await first.ok('requestCall', {});
    const negotiationId = randomUUID();
    await first.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await agent.next('offerRelayed', (o) => o.callId === callId);
    await first.close();

    await agent.ok('acceptCall', { callId });
    const answer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer' as const, sdp: 'v=0\r\n' } };
    await agent.ok('sendAnswer', answer);
    const candidates = [1, 2].map((n) => ({ callId, messageId: randomUUID(), negotiationId, candidate: { candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } }));
    for (const candidate of candidates) await agent.ok('sendCandidate', candidate);

    back = await first.newTab(callerUrl);
    expect((await back.next('callAccepted', (a) => a.callId === callId)).agent.id).toBe(agent.userId);
    expect(await back.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    const relayed = [await back.next('candidateRelayed', (c) => c.callId === callId), await back.next('candidateRelayed', (c) => c.callId === callId)];
    expect(relayed).toEqual(jasmine.arrayWithExactContents(candidates));
    await back.ok('reportMedia', { callId, state: 'connected' });
    await agent.ok('hangUp', { callId });
  } finally {
    await back?.close();
    await agent.close();
  }
}

describe('a caller whose network drops for 5 s while the agent accepts and answers (e2e)', () => {
  onOneAndTwoNodes((nodes) => {
    it('gets the accept, the answer and the agent\u2019s candidates, in order, once back', async () => {
      await acceptDuringCallerBlip(nodes().agentUrl, nodes().callerUrl, 'agent', 'student');
    }, 30_000);

    it('gets the accept, the answer and the candidates on a new socket too', async () => {
      await acceptWhileCallerOnNewSocket(nodes().agentUrl, nodes().callerUrl, 'agent2', 'student2');
    }, 30_000);
  });
});
