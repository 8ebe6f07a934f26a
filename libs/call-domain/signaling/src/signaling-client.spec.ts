import type { CallOffer, SignalMessage } from '@switchboard/call-domain';
import { filter, firstValueFrom } from 'rxjs';
import { SignalingError } from './signaling-errors';
import { connectSameOrigin } from './signaling-socket';
import { FakeRelay } from './testing/fake-relay';
import { type TestParty, createParty } from './testing/parties';

const settle = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SignalingClient', () => {
  let relay: FakeRelay;
  let student: TestParty;
  let agent: TestParty;

  beforeEach(async () => {
    relay = new FakeRelay('agent');
    student = createParty(relay, 'student', { ackTimeoutMs: 200 });
    agent = createParty(relay, 'agent');
    student.client.connect();
    agent.client.connect();
    await firstValueFrom(student.client.connectionState$.pipe(filter((s) => s === 'connected')));
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connected')));
  });

  afterEach(() => {
    student.injector.destroy();
    agent.injector.destroy();
  });

  it('connects, and disconnects when its injector is destroyed (sign-out)', async () => {
    const other = createParty(relay, 'other');
    expect(await firstValueFrom(other.client.connectionState$)).toBe('disconnected');
    other.client.connect();
    expect(await firstValueFrom(other.client.connectionState$)).toBe('connecting');
    await firstValueFrom(other.client.connectionState$.pipe(filter((s) => s === 'connected')));
    expect(other.client.connected()).toBeTrue();
    other.injector.destroy();
    expect(other.client.connected()).toBeFalse();
    expect(await firstValueFrom(other.client.connectionState$)).toBe('disconnected');
    await expectAsync(other.client.requestCall()).toBeRejectedWith(jasmine.any(SignalingError));
  });

  it("resolves a request with its ack's data and streams the events it causes", async () => {
    const offered = firstValueFrom(agent.client.callOffered$);
    const { callId, position } = await student.client.requestCall();
    expect(position).toBe(1);
    expect((await offered).callId).toBe(callId);
    expect((await offered).caller.id).toBe('student');
  });

  it("rejects with the server's AckError", async () => {
    const refused = student.client.cancelCall({ callId: 'no-such-call' });
    await expectAsync(refused).toBeRejectedWith(jasmine.objectContaining({ code: 'not_found', timedOut: false }));
  });

  it('asks for the live call with callbacks, and as before when a server not upgraded yet refuses the field', async () => {
    expect(await agent.client.getLiveCall()).toBeNull();
    relay.acceptsNewerFields = false;
    expect(await agent.client.getLiveCall()).toBeNull();
    expect(relay.received.filter((r) => r.event === 'getLiveCall').map((r) => r.payload)).toEqual([{ callbacks: true }, { callbacks: true }, {}]);
  });

  it('rejects when the server does not answer in time', async () => {
    relay.unanswered.add('requestCall');
    await expectAsync(student.client.requestCall()).toBeRejectedWith(jasmine.objectContaining({ code: 'internal', timedOut: true }));
  });

  it('sends a wrap-up again once the socket is back when the connection dropped before the server answered', async () => {
    relay.connectionLostOn.add('completeWrapUp');
    relay.reconnectAfterMs = 300;
    const wrapUp = { callId: 'A', disposition: 'Resolved', notes: 'Password reset' };
    const saved = agent.client.completeWrapUp(wrapUp);
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connecting')));
    await expectAsync(saved).toBeResolved();
    expect(relay.received.filter((r) => r.event === 'completeWrapUp').map((r) => r.payload)).toEqual([wrapUp, wrapUp]);
    expect(agent.client.connected()).toBeTrue();
  });

  it('does not send a wrap-up again after sign-out', async () => {
    relay.connectionLostOn.add('completeWrapUp');
    relay.reconnectAfterMs = 300;
    const saved = agent.client.completeWrapUp({ callId: 'A', disposition: 'Resolved', notes: '' });
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connecting')));
    agent.client.disconnect();
    await expectAsync(saved).toBeRejectedWith(jasmine.objectContaining({ code: 'internal', timedOut: true }));
    expect(relay.received.filter((r) => r.event === 'completeWrapUp').length).toBe(1);
  });

  it("resolves setAvailability with the agent's new status and streams it", async () => {
    const changed = firstValueFrom(agent.client.agentStatusChanged$);
    const status = await agent.client.setAvailability('away');
    expect(status).toEqual(jasmine.objectContaining({ agentId: 'agent', state: 'away' }));
    expect((await changed).state).toBe('away');
  });

  it('streams typed server events', async () => {
    const update = firstValueFrom(student.client.queueUpdated$);
    relay.push('student', 'queueUpdated', { callId: 'c', position: 3, estimatedWaitSeconds: 40 });
    expect(await update).toEqual({ callId: 'c', position: 3, estimatedWaitSeconds: 40 });
  });

  it("streams supervisors' queue snapshots", async () => {
    const supervisor = createParty(relay, 'supervisor');
    supervisor.client.connect();
    const changed = firstValueFrom(supervisor.client.queueChanged$);
    const snapshot = { callsWaiting: 1, oldestQueuedAt: '2026-11-02T10:00:00.000Z', longestWaitSeconds: 12, callsInProgress: 2, generatedAt: '2026-11-02T10:00:12.000Z' };
    await firstValueFrom(supervisor.client.connectionState$.pipe(filter((s) => s === 'connected')));
    relay.push('supervisor', 'queueChanged', snapshot);
    expect(await changed).toEqual(snapshot);
    supervisor.injector.destroy();
  });

  it("keeps an offered call's early offer until the agent accepts it, and drops it once withdrawn", async () => {
    const offer: SignalMessage = { kind: 'offer', callId: 'A', messageId: 'm1', description: { type: 'offer', sdp: 'v=0' } };
    const { kind: _kind, ...payload } = offer;
    const callOffer: CallOffer = { callId: 'A', caller: { id: 'student', displayName: 'Student' }, ringsOutAt: '' };
    relay.push('agent', 'callOffered', callOffer);
    relay.push('agent', 'offerRelayed', payload);
    await settle();
    const inbox = agent.client.inbox('A', 'offer');
    const seen: SignalMessage[] = [];
    inbox?.messages$.subscribe((m) => seen.push(m));
    inbox?.accept();
    expect(seen).toEqual([offer]);

    relay.push('agent', 'offerWithdrawn', { callId: 'A', reason: 'cancelled' });
    await settle();
    expect(inbox?.closed).toBeTrue();
    expect(agent.client.inbox('A', 'offer')).toBeNull();
  });
});

describe('connectSameOrigin', () => {
  it('makes a socket for this origin at /socket.io that sends the current token, without connecting', () => {
    let token = 'first';
    const socket = connectSameOrigin(() => token);
    expect(socket.connected).toBeFalse();
    expect(socket.io.opts.path).toBe('/socket.io');
    token = 'refreshed';
    let sent: object | undefined;
    (socket.auth as (cb: (data: object) => void) => void)((data) => (sent = data));
    expect(sent).toEqual({ token: 'refreshed' });
    socket.disconnect();
  });
});
