import type { AnswerMessage, CallOffer, CandidateMessage, NegotiationId } from '@switchboard/call-domain';
import { filter, firstValueFrom } from 'rxjs';
import type { CallSession } from './call-session';
import { MICROPHONE } from './microphone';
import { energyHeard, play, reaches, sleep, until } from './testing/call-media';
import { FakeRelay } from './testing/fake-relay';
import { type TestParty, createParty } from './testing/parties';

// Later negotiations of one call, with real RTCPeerConnections in this page (see
// call-session.spec.ts): a re-offer that replaces the ringing one, an ICE restart, a fresh
// peer connection, and a page that reloaded taking its call up again.

describe('CallSession negotiations (real WebRTC through a fake relay)', () => {
  let relay: FakeRelay;
  let student: TestParty;
  let agent: TestParty;
  /** Every peer connection made, and what was applied to each. */
  let peerConnections: { pc: RTCPeerConnection; remoteSdps: string[]; candidates: string[] }[];
  const NativePeerConnection = window.RTCPeerConnection;
  const sessions: CallSession[] = [];
  const microphone = { provide: MICROPHONE, useValue: () => navigator.mediaDevices.getUserMedia({ audio: true }) };

  const sent = <T>(token: string, event: string): T[] =>
    relay.received.filter((r) => r.from === token && r.event === event).map((r) => r.payload as T);
  const answers = () => sent<AnswerMessage>('agent', 'sendAnswer');
  const candidatesOf = (token: string, negotiationId: NegotiationId | null | undefined) =>
    sent<CandidateMessage>(token, 'sendCandidate').filter((c) => c.negotiationId === negotiationId);
  const connectedPeerConnections = () => peerConnections.filter(({ pc }) => pc.connectionState === 'connected').length;

  async function join(token: string): Promise<TestParty> {
    const party = createParty(relay, token, {}, [microphone]);
    party.client.connect();
    await firstValueFrom(party.client.connectionState$.pipe(filter((s) => s === 'connected')));
    return party;
  }

  async function connectedCall(): Promise<{ caller: CallSession; callee: CallSession; offer: CallOffer }> {
    const offered = firstValueFrom(agent.client.callOffered$);
    const caller = track(await student.phone.placeCall());
    const offer = await offered;
    const callee = track(await agent.phone.acceptCall(offer));
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    return { caller, callee, offer };
  }

  function track(session: CallSession): CallSession {
    sessions.push(session);
    return session;
  }

  /** Audio arrives at both ends (the fake microphone beeps twice a second: windows span two beeps). */
  async function expectAudioBothWays(caller: CallSession, callee: CallSession): Promise<void> {
    play(caller);
    play(callee);
    await sleep(300);
    const [toCallee, toCaller] = await Promise.all([energyHeard(callee), energyHeard(caller)]);
    expect(toCallee).withContext('audio energy received by the agent').toBeGreaterThan(0.01);
    expect(toCaller).withContext('audio energy received by the caller').toBeGreaterThan(0.01);
  }

  /** The ICE username fragment of the candidate pair the caller's media uses now. */
  async function selectedUfrag(session: CallSession): Promise<string | undefined> {
    const stats = new Map<string, Record<string, unknown>>();
    (await session.getStats()).forEach((report: Record<string, unknown> & { id: string }) => stats.set(report.id, report));
    const transport = [...stats.values()].find((r) => r['type'] === 'transport');
    const pair = stats.get(String(transport?.['selectedCandidatePairId']));
    if (pair?.['state'] !== 'succeeded') return undefined;
    return stats.get(String(pair['localCandidateId']))?.['usernameFragment'] as string | undefined;
  }

  beforeEach(async () => {
    relay = new FakeRelay('agent');
    peerConnections = [];
    // Still real peer connections: recorded, so a test can see what was applied to which.
    window.RTCPeerConnection = class extends NativePeerConnection {
      constructor(configuration?: RTCConfiguration) {
        super(configuration);
        const record = { pc: this as RTCPeerConnection, remoteSdps: [] as string[], candidates: [] as string[] };
        peerConnections.push(record);
        const setRemote = this.setRemoteDescription.bind(this);
        const addCandidate = this.addIceCandidate.bind(this);
        this.setRemoteDescription = (description: RTCSessionDescriptionInit) => {
          record.remoteSdps.push(description.sdp ?? '');
          return setRemote(description);
        };
        this.addIceCandidate = (candidate?: RTCIceCandidateInit | null) => {
          record.candidates.push(candidate?.candidate ?? '');
          return addCandidate(candidate ?? undefined);
        };
      }
    };
    student = await join('student');
    agent = await join('agent');
  });

  afterEach(() => {
    window.RTCPeerConnection = NativePeerConnection;
    for (const session of sessions.splice(0)) session.close();
    student.injector.destroy();
    agent.injector.destroy();
  });

  it('sends every offer, answer and candidate with the negotiation id of the offer', async () => {
    const { caller, callee } = await connectedCall();
    const negotiationId = caller.negotiationId() ?? undefined;
    expect(negotiationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(callee.negotiationId() ?? undefined).toBe(negotiationId);
    expect(sent<{ negotiationId?: string }>('student', 'sendOffer').map((o) => o.negotiationId)).toEqual([negotiationId]);
    expect(answers().map((a) => a.negotiationId)).toEqual([negotiationId]);
    for (const token of ['student', 'agent']) {
      const all = sent<CandidateMessage>(token, 'sendCandidate');
      expect(all.length).toBeGreaterThan(0);
      expect(candidatesOf(token, negotiationId)).toEqual(all);
    }
  }, 15_000);

  it('replaces a ringing offer with a newer negotiation: the agent answers only that one, and audio flows', async () => {
    const offered = firstValueFrom(agent.client.callOffered$);
    const caller = track(await student.phone.placeCall());
    const offer = await offered;
    const first = caller.negotiationId();
    await until(() => candidatesOf('student', first).length > 0, "the first negotiation's candidates");
    const second = await caller.renegotiate({ freshConnection: true });
    await until(() => candidatesOf('student', second).length > 0, "the second negotiation's candidates");

    const callee = track(await agent.phone.acceptCall(offer));
    await Promise.all([reaches(caller, 'connected'), reaches(callee, 'connected')]);
    expect(answers().map((a) => a.negotiationId)).toEqual([second]);
    const agentPcs = peerConnections.filter(({ pc }) => pc.localDescription?.type === 'answer');
    expect(agentPcs.map((r) => r.remoteSdps.length)).toEqual([1]);
    expect(callee.negotiationId()).toBe(second);
    expect(peerConnections[0].pc.signalingState).toBe('closed');
    await expectAudioBothWays(caller, callee);
  }, 20_000);

  it('moves a connected call to a fresh peer connection on each side, and audio flows again', async () => {
    const { caller, callee, offer } = await connectedCall();
    const second = await caller.renegotiate({ freshConnection: true });
    await until(() => peerConnections.length === 4 && connectedPeerConnections() === 2, 'both new peer connections to connect');
    expect(peerConnections.slice(0, 2).map(({ pc }) => pc.signalingState)).toEqual(['closed', 'closed']);
    expect([caller.state(), callee.state(), callee.negotiationId()]).toEqual(['connected', 'connected', second]);
    await expectAudioBothWays(caller, callee);
    // Media was reported once per side; the new negotiation is no second report.
    expect(sent('student', 'reportMedia')).toEqual([{ callId: offer.callId, state: 'connected' }]);
    expect(sent('agent', 'reportMedia')).toEqual([{ callId: offer.callId, state: 'connected' }]);
  }, 20_000);

  it('reconnects through an ICE restart in a new negotiation, on new ICE credentials', async () => {
    const { caller, callee } = await connectedCall();
    const before = await selectedUfrag(caller);
    expect(before).toBeDefined();
    const second = await caller.renegotiate({ iceRestart: true });
    await until(async () => {
      const now = await selectedUfrag(caller);
      return now !== undefined && now !== before;
    }, 'a candidate pair with the new ICE credentials');
    expect(peerConnections.length).toBe(2);
    expect(answers().map((a) => a.negotiationId)).toEqual([jasmine.any(String), second]);
    expect(candidatesOf('agent', second).length).toBeGreaterThan(0);
    expect([caller.state(), callee.state()]).toEqual(['connected', 'connected']);
    await expectAudioBothWays(caller, callee);
  }, 20_000);

  it("drops a late answer and candidate of the replaced negotiation, applying the current one's", async () => {
    const { caller, callee } = await connectedCall();
    const first = caller.negotiationId();
    const ufragBefore = await selectedUfrag(caller);
    const [oldAnswer] = answers();
    const [oldCandidate] = candidatesOf('agent', first);
    const second = await caller.renegotiate({ iceRestart: true });
    await until(() => answers().length === 2 && candidatesOf('agent', second).length > 0, "the agent's answer and candidates of the new negotiation");
    const [current] = candidatesOf('agent', second);
    const callerPc = peerConnections.find(({ pc }) => pc.localDescription?.type === 'offer');
    await until(() => callerPc?.candidates.includes(current.candidate.candidate) ?? false, "the new negotiation's candidate applied");

    const applied = (sdpOrCandidate: string, list: string[] = []) => list.filter((s) => s === sdpOrCandidate).length;
    // The old negotiation's candidates still on their way when it was replaced are dropped too.
    const before = { answer: applied(oldAnswer.description.sdp, callerPc?.remoteSdps), candidate: applied(oldCandidate.candidate.candidate, callerPc?.candidates) };
    expect(before.answer).toBe(1);
    relay.push('student', 'answerRelayed', { ...oldAnswer, messageId: crypto.randomUUID() });
    relay.push('student', 'candidateRelayed', { ...oldCandidate, messageId: crypto.randomUUID() });
    // Sent after the stale ones, in order: once it is applied, they were handled.
    relay.push('student', 'candidateRelayed', { ...current, messageId: crypto.randomUUID() });
    await until(() => applied(current.candidate.candidate, callerPc?.candidates) === 2, 'the repeated current candidate');

    expect(applied(oldAnswer.description.sdp, callerPc?.remoteSdps)).toBe(before.answer);
    expect(applied(oldCandidate.candidate.candidate, callerPc?.candidates)).toBe(before.candidate);
    expect([caller.state(), callee.state()]).toEqual(['connected', 'connected']);
    // Media moves to the restarted ICE's candidate pair (audio pauses while it does; a loaded machine takes seconds).
    await until(async () => {
      const now = await selectedUfrag(caller);
      return now !== undefined && now !== ufragBefore;
    }, 'a candidate pair with the new ICE credentials');
    await expectAudioBothWays(caller, callee);
  }, 20_000);

  it("lets a reloaded agent page answer the caller's new negotiation on a new peer connection", async () => {
    const { caller, callee, offer } = await connectedCall();
    callee.close(); // the page reloads: its peer connection is gone, the server is not told
    agent.injector.destroy();
    agent = await join('agent');
    const resumed = track(await agent.phone.resumeCall({ callId: offer.callId, role: 'agent' }));
    const second = await caller.renegotiate({ freshConnection: true });
    await reaches(resumed, 'connected');
    await until(() => connectedPeerConnections() === 2, "the caller's new peer connection to connect");
    expect(resumed.negotiationId()).toBe(second);
    expect(sent('agent', 'acceptCall').length).toBe(1);
    await expectAudioBothWays(caller, resumed);
  }, 20_000);

  it("lets a reloaded caller page offer again, answered by the agent's live session on a new peer connection", async () => {
    const { caller, callee, offer } = await connectedCall();
    caller.close(); // the page reloads
    student.injector.destroy();
    student = await join('student');
    const resumed = track(await student.phone.resumeCall({ callId: offer.callId, role: 'caller' }));
    await reaches(resumed, 'connected');
    await until(() => connectedPeerConnections() === 2, "the agent's new peer connection to connect");
    expect(peerConnections.length).toBe(4);
    expect(callee.negotiationId()).toBe(resumed.negotiationId());
    expect(callee.state()).toBe('connected');
    expect(sent('student', 'requestCall').length).toBe(1);
    await expectAudioBothWays(resumed, callee);
  }, 20_000);
});
