import type { CallOffer } from '@switchboard/call-domain';
import { filter, firstValueFrom } from 'rxjs';
import type { CallSession } from './call-session';
import { MICROPHONE } from './microphone';
import { MicrophoneError } from './signaling-errors';
import { energyGrowth, energyHeard, play, reaches, sleep, until } from './testing/call-media';
import { type Delivery, FakeRelay } from './testing/fake-relay';
import { type TestParty, createParty } from './testing/parties';

// Real RTCPeerConnections in this page: a student and an agent, each with their own
// SignalingClient and Softphone, talking through an in-memory relay. Chromium's fake
// microphone (karma.conf.cjs) plays a tone, so audio can be measured with getStats().

describe('CallSession (real WebRTC through a fake relay)', () => {
  let relay: FakeRelay;
  let student: TestParty;
  let agent: TestParty;
  let microphones: MediaStream[];
  let peerConnections: RTCPeerConnection[];
  const NativePeerConnection = window.RTCPeerConnection;
  const sessions: CallSession[] = [];

  const requestsFrom = (token: string, event: string) => relay.received.filter((r) => r.from === token && r.event === event);
  const nextOffer = () => firstValueFrom(agent.client.callOffered$);
  const recordingMicrophone = {
    provide: MICROPHONE,
    useValue: async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      microphones.push(stream);
      return stream;
    },
  };

  async function connectBoth(options = {}): Promise<void> {
    student = createParty(relay, 'student', options, [recordingMicrophone]);
    agent = createParty(relay, 'agent', options, [recordingMicrophone]);
    student.client.connect();
    agent.client.connect();
    await firstValueFrom(student.client.connectionState$.pipe(filter((s) => s === 'connected')));
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connected')));
  }

  /** A second agent (`agent2`), connected, for `work`; gone after it. */
  async function withSecondAgent(work: (next: ReturnType<typeof createParty>) => Promise<void>): Promise<void> {
    const next = createParty(relay, 'agent2', {}, [recordingMicrophone]);
    next.client.connect();
    await firstValueFrom(next.client.connectionState$.pipe(filter((s) => s === 'connected')));
    try {
      await work(next);
    } finally {
      next.injector.destroy();
    }
  }

  async function place(): Promise<{ caller: CallSession; offer: CallOffer }> {
    const offered = nextOffer();
    const caller = await student.phone.placeCall();
    sessions.push(caller);
    return { caller, offer: await offered };
  }

  async function accept(offer: CallOffer): Promise<CallSession> {
    const session = await agent.phone.acceptCall(offer);
    sessions.push(session);
    return session;
  }

  /** Audio arrives both ways, in windows long enough to hold a beep of the fake microphone, however the machine's load shifts it. */
  async function expectAudioBothWays(caller: CallSession, callee: CallSession): Promise<void> {
    play(callee);
    play(caller);
    await sleep(500);
    const [toCallee, toCaller] = await Promise.all([energyHeard(callee), energyHeard(caller)]);
    expect(toCallee).toBeGreaterThan(0.01);
    expect(toCaller).toBeGreaterThan(0.01);
  }

  /** The audio a connection has sent so far (its outbound RTP). */
  async function audioSent(pc: RTCPeerConnection): Promise<{ packets: number; bytes: number }> {
    const sent = { packets: 0, bytes: 0 };
    (await pc.getStats()).forEach((s: { type?: string; kind?: string; packetsSent?: number; bytesSent?: number }) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'audio') return;
      sent.packets += s.packetsSent ?? 0;
      sent.bytes += s.bytesSent ?? 0;
    });
    return sent;
  }

  beforeEach(async () => {
    relay = new FakeRelay('agent');
    microphones = [];
    peerConnections = [];
    // Still real peer connections: only counted, so a test can check they were closed.
    window.RTCPeerConnection = class extends NativePeerConnection {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        peerConnections.push(this);
      }
    };
    await connectBoth();
  });

  afterEach(() => {
    window.RTCPeerConnection = NativePeerConnection;
    for (const session of sessions.splice(0)) session.close();
    student.injector.destroy();
    agent.injector.destroy();
  });

  it('connects when the offer and candidates arrived 3 s before the agent accepted', async () => {
    const { caller, offer } = await place();
    await sleep(3000);
    expect(requestsFrom('student', 'sendOffer').length).toBe(1);
    expect(requestsFrom('student', 'sendCandidate').length).toBeGreaterThan(0);

    const acceptedAt = performance.now();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(performance.now() - acceptedAt).toBeLessThan(3000);
    // Not prepared: the accept goes alone and the answer follows it.
    expect(requestsFrom('agent', 'acceptCall').map((r) => r.payload)).toEqual([{ callId: offer.callId }]);
    expect(requestsFrom('agent', 'sendAnswer').length).toBe(1);

    await expectAudioBothWays(caller, callee);
    expect(requestsFrom('student', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'connected' }]);
    expect(requestsFrom('agent', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'connected' }]);
  }, 20_000);

  it('with a server not upgraded yet (it refuses earlyMedia), the caller offers as before and the call connects on Accept', async () => {
    relay.acceptsNewerFields = false;
    relay.acceptsProvisionalAnswers = false;
    const { caller, offer } = await place();
    await until(() => requestsFrom('student', 'sendOffer').length === 2, 'the offer sent again');
    expect(requestsFrom('student', 'sendOffer').map((r) => (r.payload as { earlyMedia?: true }).earlyMedia)).toEqual([true, undefined]);
    agent.phone.prepareAccept(offer);
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(requestsFrom('agent', 'sendAnswer').filter((r) => (r.payload as { provisional?: true }).provisional)).toEqual([]);
    await expectAudioBothWays(caller, callee);
  }, 20_000);

  it('prepared while it rings with a server that takes no provisional answer, the agent opens the microphone, answers the held offer ahead and gathers, sends nothing before Accept, then sends that answer with the accept and connects', async () => {
    relay.acceptsProvisionalAnswers = false;
    const { caller, offer } = await place();
    agent.phone.prepareAccept(offer);
    await until(() => peerConnections[1]?.iceGatheringState === 'complete' && microphones.length === 2, 'the prepared connection to gather');
    const prepared = peerConnections[1];
    expect(prepared.signalingState).toBe('stable');
    expect(prepared.remoteDescription?.type).toBe('offer');
    expect(prepared.getConfiguration().iceServers).toEqual([]);
    // The microphone is open (Accept waits for nothing) but not on the connection: nothing is sent.
    const agentMicrophone = microphones[1];
    expect(agentMicrophone.getAudioTracks()[0].readyState).toBe('live');
    expect(prepared.getSenders().every((sender) => sender.track === null)).toBeTrue();
    // Nothing reached the caller (the provisional answer was refused): no answer, no candidate, and the caller's candidates were not added.
    expect(requestsFrom('agent', 'sendAnswer').filter((r) => !(r.payload as { provisional?: true }).provisional).length).toBe(0);
    expect(requestsFrom('agent', 'sendCandidate').length).toBe(0);
    expect(requestsFrom('agent', 'acceptCall').length).toBe(0);
    let remoteCandidates = 0;
    (await prepared.getStats()).forEach((s: { type?: string }) => (remoteCandidates += s.type === 'remote-candidate' ? 1 : 0));
    expect(remoteCandidates).toBe(0);

    const callee = await accept(offer);
    expect(peerConnections.length).toBe(2); // the prepared connection, no other
    expect(microphones.length).toBe(2); // and the microphone opened while it rang, no other
    // Put on the connection once accepted (replaceTrack settles a moment later).
    await until(() => prepared.getSenders().some((sender) => sender.track === agentMicrophone.getAudioTracks()[0]), 'the microphone opened while it rang to be sent');
    expect(requestsFrom('agent', 'getIceServers').length).toBe(1);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    // The answer made ahead, with the candidates gathered while the call rang, went with the accept: no sendAnswer after it.
    const accepts = requestsFrom('agent', 'acceptCall').map((r) => r.payload as { callId: string; answer?: { callId: string; negotiationId?: string; description: { type: string; sdp: string } } });
    expect(accepts.length).toBe(1);
    expect(accepts[0].answer?.callId).toBe(offer.callId);
    expect(accepts[0].answer?.negotiationId).toBe(caller.negotiationId() ?? undefined);
    expect(accepts[0].answer?.description.type).toBe('answer');
    expect(accepts[0].answer?.description.sdp).toMatch(/^a=candidate:/m);
    expect(requestsFrom('agent', 'sendAnswer').filter((r) => !(r.payload as { provisional?: true }).provisional).length).toBe(0);
    await expectAudioBothWays(caller, callee);
  }, 20_000);

  it('prepared, sends the answer made ahead with sendAnswer when the server did not relay the one sent with the accept, and connects', async () => {
    relay.acceptsAnswers = false;
    relay.acceptsProvisionalAnswers = false;
    const { caller, offer } = await place();
    agent.phone.prepareAccept(offer);
    await until(() => peerConnections[1]?.iceGatheringState === 'complete', 'the prepared connection to gather');
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    const accepted = requestsFrom('agent', 'acceptCall')[0].payload as { answer?: { description: { sdp: string } } };
    const answers = requestsFrom('agent', 'sendAnswer')
      .map((r) => r.payload as { provisional?: true; description: { sdp: string } })
      .filter((a) => !a.provisional);
    expect(answers.length).toBe(1);
    expect(answers[0].description.sdp).toBe(accepted.answer?.description.sdp ?? 'an answer sent with the accept');
  }, 20_000);

  it('early media: answers provisionally while it rings, so ICE and DTLS complete before Accept, with no audio either way before Accept and both ways right after', async () => {
    const { caller, offer } = await place();
    agent.phone.prepareAccept(offer);
    const [callerPc, prepared] = [peerConnections[0], await until(() => peerConnections.length === 2, 'the prepared connection').then(() => peerConnections[1])];
    await until(() => callerPc.connectionState === 'connected' && prepared.connectionState === 'connected', 'ICE and DTLS to complete while it rings');
    const provisional = requestsFrom('agent', 'sendAnswer').map((r) => r.payload as { provisional?: true; negotiationId?: string });
    expect(provisional.length).toBe(1);
    expect(provisional[0].provisional).toBeTrue();
    expect(provisional[0].negotiationId).toBe(caller.negotiationId() ?? 'a negotiation');
    expect(requestsFrom('student', 'sendOffer').map((r) => (r.payload as { earlyMedia?: true }).earlyMedia)).toEqual([true]);
    // Still ringing: nothing sent on the media, the call not connected nor reported.
    await sleep(1000);
    expect(await audioSent(callerPc)).toEqual({ packets: 0, bytes: 0 });
    expect(await audioSent(prepared)).toEqual({ packets: 0, bytes: 0 });
    expect(callerPc.getSenders().every((sender) => sender.track === null)).toBeTrue();
    expect(prepared.getSenders().every((sender) => sender.track === null)).toBeTrue();
    expect(caller.state()).toBe('connecting');
    expect(caller.remoteStream()?.getAudioTracks().every((t) => t.muted) ?? true).toBeTrue();
    expect(relay.received.filter((r) => r.event === 'reportMedia' || r.event === 'acceptCall')).toEqual([]);

    const callee = await accept(offer);
    // The connection made while it rang carries the call: no other, and no answer after the accept
    // (the provisional one goes with it again, saying which tab took the call).
    const accepts = requestsFrom('agent', 'acceptCall').map((r) => r.payload as { callId: string; answer?: { description: { sdp: string } } });
    expect(accepts.length).toBe(1);
    expect(accepts[0].answer?.description.sdp).toBe((requestsFrom('agent', 'sendAnswer')[0].payload as { description: { sdp: string } }).description.sdp);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(peerConnections.length).toBe(2);
    expect(requestsFrom('agent', 'sendAnswer').length).toBe(1);
    await until(async () => (await audioSent(callerPc)).packets > 0 && (await audioSent(prepared)).packets > 0, 'audio sent both ways after Accept', 2000);
    await expectAudioBothWays(caller, callee);
    // The accept's answer is the provisional one, as sent: the caller kept its connection (no new offer).
    expect(requestsFrom('student', 'sendOffer').length).toBe(1);
    expect(requestsFrom('student', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'connected' }]);
    expect(requestsFrom('agent', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'connected' }]);
  }, 20_000);

  for (const end of ['declined', 'rang out'] as const) {
    it(`early media: a ring that ends without accept (${end}) voids the provisional answer; the caller offers anew from a new connection and the next agent's answer connects`, async () => {
      await withSecondAgent(async (next) => {
        const { caller, offer } = await place();
        agent.phone.prepareAccept(offer);
        await until(() => peerConnections[0].connectionState === 'connected' && peerConnections[1]?.connectionState === 'connected', 'the provisional connection');
        const first = caller.negotiationId();
        if (end === 'declined') {
          agent.phone.discardPrepared(offer.callId);
          await agent.client.declineCall({ callId: offer.callId });
        } else {
          relay.ringOut(offer.callId);
        }
        await until(() => peerConnections[0].signalingState === 'closed' && peerConnections[1].signalingState === 'closed', 'both connections of the void negotiation closed');
        await until(() => requestsFrom('student', 'sendOffer').length === 2, 'the caller to offer anew');
        expect(caller.negotiationId()).not.toBe(first);
        expect(caller.state()).toBe('connecting');

        const offered = firstValueFrom(next.client.callOffered$);
        relay.ringAt(offer.callId, 'agent2');
        next.phone.prepareAccept(await offered);
        await until(() => peerConnections.length === 4 && peerConnections[3].connectionState === 'connected', "the next agent's provisional connection");
        expect(await audioSent(peerConnections[2])).toEqual({ packets: 0, bytes: 0 });
        const callee = await next.phone.acceptCall(offer);
        sessions.push(callee);
        await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
        expect(peerConnections.length).toBe(4);
        await expectAudioBothWays(caller, callee);
        expect(requestsFrom('student', 'reportMedia').length).toBe(1);
      });
    }, 25_000);
  }

  it("early media: when another agent's page accepts than the one the caller connected to while it rang, the caller's microphone never goes on that connection", async () => {
    await withSecondAgent(async (next) => {
      const { caller, offer } = await place();
      agent.phone.prepareAccept(offer);
      await until(() => peerConnections[0].connectionState === 'connected' && peerConnections[1]?.connectionState === 'connected', 'the provisional connection');
      const [callerPc, firstAgentPc] = peerConnections;
      // The ring ends, but neither page hears of it (lost on the way, or a page that keeps its
      // connection anyway); the accepting page's answer is held a moment after the accept.
      relay.intercept = (d) => {
        if ((d.event === 'ringEnded' && d.to === 'student') || (d.event === 'offerWithdrawn' && d.to === 'agent')) return 'drop';
        if (d.event === 'answerRelayed' && d.to === 'student' && !(d.payload as { provisional?: true }).provisional) return 'hold';
        return 'deliver';
      };
      relay.ringOut(offer.callId);
      const offered = firstValueFrom(next.client.callOffered$);
      relay.ringAt(offer.callId, 'agent2');
      const callee = await next.phone.acceptCall(await offered);
      sessions.push(callee);
      await until(() => relay.held.some((d) => d.event === 'answerRelayed'), "the accepting page's answer on its way");
      await sleep(1000);
      expect(firstAgentPc.connectionState).toBe('connected');
      expect(await audioSent(callerPc)).withContext('sent to the page that did not take the call').toEqual({ packets: 0, bytes: 0 });
      relay.intercept = () => 'deliver';
      relay.release();
      // The caller starts over on a new connection, which the accepting page answers.
      await until(() => requestsFrom('student', 'sendOffer').length === 2, 'the caller to offer anew');
      await reaches(caller, 'connected');
      expect(await audioSent(callerPc)).toEqual({ packets: 0, bytes: 0 });
    });
  }, 25_000);

  it('closes the connection prepared while it rang when the offer is withdrawn or discarded, and Accept then makes its own', async () => {
    const first = await place();
    agent.phone.prepareAccept(first.offer);
    await until(() => peerConnections[1]?.signalingState === 'stable' && peerConnections[1].remoteDescription !== null, 'the offer answered ahead');
    await first.caller.hangUp(); // the caller gives up: the offer is withdrawn
    await until(() => peerConnections[1].signalingState === 'closed', 'the prepared connection closed');

    const second = await place();
    agent.phone.prepareAccept(second.offer);
    await until(() => peerConnections.length === 4, 'a connection prepared for the second call');
    agent.phone.discardPrepared(second.offer.callId); // e.g. declined
    await until(() => peerConnections[3].signalingState === 'closed', 'the discarded connection closed');
    // The microphones opened while each rang are released (the two students' and the agent's two).
    await until(() => microphones.length === 4 && [1, 3].every((i) => microphones[i].getTracks().every((t) => t.readyState === 'ended')), 'the prepared microphones released');
    const callee = await accept(second.offer);
    expect(peerConnections.length).toBe(5);
    expect(microphones.length).toBe(5);
    await Promise.all([reaches(second.caller, 'connected'), reaches(callee, 'connected')]);
  }, 20_000);

  it('sends another microphone mid-call on the same peer connection (no new offer), keeps it muted, and releases the old one', async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    const [agentConnection, old] = [peerConnections[1], microphones[1]];
    const offers = requestsFrom('student', 'sendOffer').length;
    const second = (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audioinput' && d.label === 'Fake Audio Input 2');
    const other = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: second?.deviceId ?? '' } } });

    callee.setMuted(true);
    await callee.replaceMicrophone(other);
    const sent = agentConnection.getSenders().find((s) => s.track?.kind === 'audio')?.track;
    expect(sent).toBe(other.getAudioTracks()[0]);
    expect(sent?.enabled).toBeFalse();
    expect(old.getAudioTracks()[0].readyState).toBe('ended');
    callee.setMuted(false);
    expect(sent?.enabled).toBeTrue();
    play(caller);
    await sleep(300);
    expect(await energyHeard(caller)).toBeGreaterThan(0.01);
    expect(peerConnections.length).toBe(2);
    expect(requestsFrom('student', 'sendOffer').length).toBe(offers);

    callee.close();
    expect(other.getAudioTracks()[0].readyState).toBe('ended');
  }, 20_000);

  it('connects when the agent accepts right away', async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
  }, 15_000);

  it('samples the call quality every 2 s on both sides, shows it and reports it', async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(caller.quality()).toBeNull();
    await until(() => caller.quality() !== null && callee.quality() !== null, 'a quality sample on both sides', 5000);
    for (const session of [caller, callee]) {
      // Loopback: no loss, sub-millisecond round trips, the model's best MOS.
      expect(session.quality()).toEqual(jasmine.objectContaining({ level: 'good', warnings: [], lossPercent: 0 }));
      expect(session.quality()?.mos).toBeGreaterThan(4.3);
    }
    for (const token of ['student', 'agent']) {
      const [report] = requestsFrom(token, 'reportQuality').map((r) => r.payload);
      expect(report).toEqual({ callId: offer.callId, rttMs: jasmine.any(Number), jitterMs: jasmine.any(Number), lossPercent: 0, mos: jasmine.any(Number) });
    }
  }, 15_000);

  it('with a late offer (the benchmark baseline), offers only once the agent accepted, and connects', async () => {
    const offered = nextOffer();
    const caller = await student.phone.placeCall({ offer: 'late' });
    sessions.push(caller);
    const offer = await offered;
    await sleep(300);
    expect(requestsFrom('student', 'sendOffer').length).toBe(0);
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(requestsFrom('student', 'sendOffer').length).toBe(1);
  }, 15_000);

  it('connects when the candidates arrive before the offer', async () => {
    relay.intercept = ({ event }) => (event === 'offerRelayed' ? 'hold' : 'deliver');
    const { caller, offer } = await place();
    await sleep(500);
    expect(relay.held.length).toBe(1);
    const callee = await accept(offer);
    await sleep(300);
    relay.release();
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
  }, 15_000);

  it('never applies a stale offer from a cancelled call to the next call', async () => {
    const isSignal = ({ event }: Delivery) => event === 'offerRelayed' || event === 'candidateRelayed';
    relay.intercept = (delivery) => (isSignal(delivery) ? 'hold' : 'deliver');
    const first = await place();
    await sleep(300);
    await first.caller.hangUp();
    expect(first.caller.state()).toBe('ended');
    relay.intercept = () => 'deliver';
    await sleep(50);

    const second = await place();
    relay.release(); // the first call's offer and candidates turn up late, while the second rings
    await sleep(300);
    expect(agent.client.inbox(first.offer.callId, 'offer')).toBeNull();
    await expectAsync(agent.phone.acceptCall(first.offer)).toBeRejectedWith(jasmine.objectContaining({ code: 'invalid_state' }));

    const callee = await accept(second.offer);
    await Promise.all([reaches(second.caller, 'connected'), reaches(callee, 'connected')]);
    expect(requestsFrom('agent', 'sendAnswer').map((r) => (r.payload as { callId: string }).callId)).toEqual([second.offer.callId]);
  }, 20_000);

  it('changes nothing when the offer and the answer are delivered twice', async () => {
    relay.intercept = ({ event }) => (event === 'offerRelayed' || event === 'answerRelayed' ? 'duplicate' : 'deliver');
    const { caller, offer } = await place();
    await sleep(200);
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    await sleep(1000);
    expect(caller.state()).toBe('connected');
    expect(callee.state()).toBe('connected');
    expect(requestsFrom('agent', 'sendAnswer').length).toBe(1);
  }, 15_000);

  it("mutes: the far end's received audio energy stops growing, and grows again on unmute", async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    play(callee);
    await sleep(500);
    expect(await energyHeard(callee)).toBeGreaterThan(0.01);

    caller.setMuted(true);
    expect(caller.muted()).toBeTrue();
    await sleep(500);
    expect(await energyGrowth(callee, 800)).toBeLessThan(0.001);

    caller.setMuted(false);
    await sleep(500);
    expect(await energyHeard(callee)).toBeGreaterThan(0.01);
  }, 20_000);

  it('ends both sides on hang-up and releases the peer connections and microphones', async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    await callee.hangUp();
    await reaches(caller, 'ended', 2000);
    expect(callee.state()).toBe('ended');
    expect(microphones.length).toBe(2);
    for (const track of microphones.flatMap((m) => m.getTracks())) expect(track.readyState).toBe('ended');
    expect(peerConnections.map((pc) => pc.signalingState)).toEqual(['closed', 'closed']);
  }, 15_000);

  it('fails both sides, and reports it, when media does not connect in time', async () => {
    student.injector.destroy();
    agent.injector.destroy();
    await connectBoth({ mediaTimeoutMs: 1500 });
    relay.intercept = ({ event }) => (event === 'answerRelayed' ? 'drop' : 'deliver');
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'failed', 4000), reaches(callee, 'failed', 4000)]);
    await sleep(50); // the reports are on their way to the relay
    expect(requestsFrom('student', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'failed' }]);
    expect(requestsFrom('agent', 'reportMedia').map((r) => r.payload)).toEqual([{ callId: offer.callId, state: 'failed' }]);
    for (const track of microphones.flatMap((m) => m.getTracks())) expect(track.readyState).toBe('ended');
    expect(peerConnections.map((pc) => pc.signalingState)).toEqual(['closed', 'closed']);
  }, 15_000);

  it('configures both peer connections with the ICE servers and transport policy the server gives for the call', async () => {
    const turn = { urls: ['turn:turn.invalid:3478?transport=udp'], username: '1999999999:student', credential: 'c2VjcmV0' };
    relay.iceServers = { iceServers: [turn], iceTransportPolicy: 'relay', expiresAt: '2033-05-18T03:33:19.000Z' };
    const { offer } = await place();
    const [callerPc] = peerConnections;
    expect(callerPc.getConfiguration().iceTransportPolicy).toBe('relay');
    expect(callerPc.getConfiguration().iceServers).toEqual([jasmine.objectContaining(turn)]);
    const order = relay.received.filter((r) => r.from === 'student').map((r) => r.event);
    expect(order.indexOf('getIceServers')).toBeGreaterThan(order.indexOf('requestCall'));
    expect(order.indexOf('getIceServers')).toBeLessThan(order.indexOf('sendOffer'));
    expect(requestsFrom('student', 'getIceServers').map((r) => r.payload)).toEqual([{ callId: offer.callId }]);

    await accept(offer);
    expect(requestsFrom('agent', 'getIceServers').map((r) => r.payload)).toEqual([{ callId: offer.callId }]);
    expect(peerConnections[1].getConfiguration().iceTransportPolicy).toBe('relay');
    expect(peerConnections[1].getConfiguration().iceServers).toEqual([jasmine.objectContaining(turn)]);
  });

  it('leaves the line, and releases the microphone, when the server gives the call no ICE servers', async () => {
    relay.iceServers = null;
    await expectAsync(student.phone.placeCall()).toBeRejectedWith(jasmine.objectContaining({ code: 'forbidden' }));
    await sleep(50); // the cancel is on its way to the relay
    expect(requestsFrom('student', 'cancelCall').length).toBe(1);
    expect(requestsFrom('student', 'sendOffer').length).toBe(0);
    expect(peerConnections.length).toBe(0);
    for (const track of microphones.flatMap((m) => m.getTracks())) expect(track.readyState).toBe('ended');
  });

  it('shows both sides reconnecting when audio stops arriving, restarts ICE from the caller, and is connected again once audio flows', async () => {
    const { caller, offer } = await place();
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    const [callerPc, calleePc] = peerConnections;
    // Each side stops sending: no packets arrive either way, as when a network drops.
    const senders = [callerPc, calleePc].map((pc) => pc.getSenders()[0]);
    const tracks = senders.map((sender) => sender.track);
    await Promise.all(senders.map((sender) => sender.replaceTrack(null)));
    await Promise.all([reaches(caller, 'reconnecting', 5000), reaches(callee, 'reconnecting', 5000)]);
    await until(() => requestsFrom('student', 'sendOffer').length === 2, 'the ICE restart offer', 5000);
    const restart = requestsFrom('student', 'sendOffer')[1].payload as { reason?: string; description: { sdp: string } };
    expect(restart.reason).toBe('ice_restart');
    expect(requestsFrom('student', 'getIceServers').length).toBe(2); // fresh credentials for the restart

    await Promise.all(senders.map((sender, i) => sender.replaceTrack(tracks[i])));
    await Promise.all([reaches(caller, 'connected', 5000), reaches(callee, 'connected', 5000)]);
    // Reported connected once, when media first connected.
    expect(requestsFrom('student', 'reportMedia').length).toBe(1);
    expect(requestsFrom('agent', 'reportMedia').length).toBe(1);
  }, 20_000);

  it('accepts with the microphone refused while it rang and allowed on Accept, and tells a refused one on Accept', async () => {
    let allowed = false;
    const refusing = {
      provide: MICROPHONE,
      useValue: async () => {
        if (!allowed) throw new DOMException('Permission denied', 'NotAllowedError');
        return navigator.mediaDevices.getUserMedia({ audio: true });
      },
    };
    const other = createParty(relay, 'agent', {}, [refusing]);
    agent.injector.destroy();
    agent = other;
    agent.client.connect();
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connected')));
    const { caller, offer } = await place();
    agent.phone.prepareAccept(offer);
    await until(() => peerConnections[1]?.iceGatheringState === 'complete', 'the prepared connection to gather');
    await expectAsync(agent.phone.acceptCall(offer)).toBeRejectedWith(jasmine.objectContaining({ reason: 'denied' }));
    expect(requestsFrom('agent', 'acceptCall').length).toBe(0);
    allowed = true;
    const callee = await accept(offer);
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
  }, 20_000);

  it('places no call when the microphone is refused', async () => {
    const denied = createParty(relay, 'denied-student', {}, [
      { provide: MICROPHONE, useValue: () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) },
    ]);
    denied.client.connect();
    await firstValueFrom(denied.client.connectionState$.pipe(filter((s) => s === 'connected')));
    const placing = denied.phone.placeCall();
    await expectAsync(placing).toBeRejectedWith(jasmine.any(MicrophoneError));
    await expectAsync(placing).toBeRejectedWith(jasmine.objectContaining({ reason: 'denied' }));
    expect(requestsFrom('denied-student', 'requestCall').length).toBe(0);
    denied.injector.destroy();
  });
});
