// The gateway benchmark's clients: agents and students on `socket.io-client` doing the whole
// browser-like call setup against one server (see `placeCall` / `takeCall`), and the two
// load phases — saturation with P calls in flight, and a fixed rate — with what they record.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@switchboard/call-domain';
import { CallRun, PhaseRecord, type PhaseResult } from './gateway-record';

/** A client socket of the product's protocol. */
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Longest wait for one step of a call (an ack, a relayed message) before the call counts as
 * timed out: long enough for a slow server with hundreds of calls in flight.
 */
const STEP_TIMEOUT_MS = 30_000;

/** A realistic audio-only SDP of about 2.5 KB. */
function fakeSdp(type: 'offer' | 'answer'): string {
  const lines = [
    'v=0',
    `o=- ${Date.now()} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS bench',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd',
    'a=ice-pwd:0123456789abcdefghijklmn',
    'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':')}`,
    `a=setup:${type === 'offer' ? 'actpass' : 'active'}`,
    'a=mid:0',
    ...['ssrc-audio-level', 'abs-send-time', 'transport-wide-cc-extensions-01', 'sdes:mid'].map((x, i) => `a=extmap:${i + 1} urn:ietf:params:rtp-hdrext:${x}`),
    'a=sendrecv',
    'a=msid:bench 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:13 CN/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
  ];
  let ssrc = 0;
  while (lines.join('\r\n').length < 2_450) lines.push(`a=ssrc:${1_000_000 + ssrc++} cname:bench-${'x'.repeat(40)}`);
  return lines.join('\r\n') + '\r\n';
}

export const OFFER_SDP = fakeSdp('offer');
export const ANSWER_SDP = fakeSdp('answer');
/** The `k`th of a party's (made-up) host candidates. */
export const candidate = (k: number) => ({
  candidate: `candidate:${k} 1 udp ${2_122_260_223 - k} 127.0.0.1 ${50_000 + k} typ host generation 0 ufrag abcd network-id 1`,
  sdpMid: '0',
  sdpMLineIndex: 0,
  usernameFragment: 'abcd',
});

/** Opens one authenticated WebSocket-only connection (as the portal does), without reconnection. */
export function connectSocket(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true, timeout: STEP_TIMEOUT_MS });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(new Error(`connect failed: ${err.message}`));
    });
  });
}

/** Opens one socket per token, `batch` handshakes at a time. */
export async function connectAll(url: string, tokens: readonly string[], batch = 250): Promise<ClientSocket[]> {
  const sockets: ClientSocket[] = [];
  for (let i = 0; i < tokens.length; i += batch) sockets.push(...(await Promise.all(tokens.slice(i, i + batch).map((t) => connectSocket(url, t)))));
  return sockets;
}

/** Closes sockets and resolves once every one has seen its disconnect. */
export async function closeAll(sockets: readonly ClientSocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => (s.connected ? (s.once('disconnect', () => resolve()), s.close()) : resolve()))));
}

type EventName = keyof ClientToServerEvents;
type Payload<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];

/** Agents and students on one server, and the calls between them. */
export class CallBench {
  private readonly runs = new Map<string, CallRun>();
  private readonly sentAt = new Map<string, number>();
  private readonly freeStudents: ClientSocket[];
  private record = new PhaseRecord();
  private closing = false;

  private constructor(
    private readonly agents: readonly ClientSocket[],
    private readonly students: readonly ClientSocket[],
  ) {
    this.freeStudents = [...students];
    for (const socket of [...agents, ...students]) socket.on('disconnect', (reason) => this.closing || this.record.socketLost(reason));
    for (const agent of agents) this.wireAgent(agent);
    for (const student of students) this.wireStudent(student);
  }

  /** Connects the agents and students and makes every agent Available. */
  static async open(url: string, agentTokens: readonly string[], studentTokens: readonly string[]): Promise<CallBench> {
    const bench = new CallBench(await connectAll(url, agentTokens), await connectAll(url, studentTokens));
    const made = await Promise.all(bench.agents.map((a) => bench.ask(a, 'setAvailability', { state: 'available' })));
    const refused = made.filter((ack) => !ack.ok).length;
    if (refused > 0) throw new Error(`${refused} agents could not become available`);
    return bench;
  }

  /** Closes every socket. */
  close(): Promise<void> {
    this.closing = true;
    return closeAll([...this.agents, ...this.students]);
  }

  /** Calls placed back to back by `pairs` callers at once: `setups` calls, or fewer once `maxMs` has passed. */
  async saturate(pairs: number, setups: number, maxMs: number): Promise<PhaseResult> {
    const record = this.begin();
    const stopAt = performance.now() + maxMs;
    let started = 0;
    const caller = async () => {
      while (started < setups && performance.now() < stopAt) {
        const student = this.freeStudents.shift();
        // More pairs than (still connected) students: this caller stops.
        if (!student) return;
        started++;
        record.lastStartAt = performance.now();
        await this.placeCall(student, record).finally(() => this.release(student));
      }
    };
    await Promise.all(Array.from({ length: pairs }, caller));
    return record.result(pairs);
  }

  /** `setups` calls started at `perSecond`, whatever the server's pace. */
  async fixedRate(perSecond: number, setups: number): Promise<PhaseResult> {
    const record = this.begin();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < setups; i++) {
      const due = record.startedAt + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const student = this.freeStudents.shift();
      if (!student) {
        record.skipped++;
        continue;
      }
      record.lastStartAt = performance.now();
      pending.push(this.placeCall(student, record).finally(() => this.release(student)));
    }
    await Promise.all(pending);
    return record.result(0);
  }

  /** A student is free again, unless their socket was lost (counted in the phase's lost sockets). */
  private release(student: ClientSocket): void {
    if (student.connected) this.freeStudents.push(student);
  }

  private begin(): PhaseRecord {
    this.runs.clear();
    this.sentAt.clear();
    this.record = new PhaseRecord();
    return this.record;
  }

  private runFor(callId: string): CallRun {
    let run = this.runs.get(callId);
    if (!run) {
      run = new CallRun(STEP_TIMEOUT_MS);
      this.runs.set(callId, run);
    }
    return run;
  }

  /** Student: request, offer and 6 candidates, wait for the answer and 4 candidates, media, hang up, ended. */
  private async placeCall(student: ClientSocket, record: PhaseRecord): Promise<void> {
    const t0 = performance.now();
    const placed = await this.ask(student, 'requestCall', {});
    if (!placed.ok) return;
    const { callId } = placed.data as { callId: string };
    const run = this.runFor(callId);
    const negotiationId = randomUUID();
    const sent = [this.signal(student, 'sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: OFFER_SDP } })];
    for (let k = 0; k < 6; k++) sent.push(this.signal(student, 'sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(k) }));
    try {
      await Promise.all(sent);
      await run.until(() => run.count('answer') >= 1 && run.count('agentCandidate') >= 4);
      await this.ask(student, 'reportMedia', { callId, state: 'connected' });
      await run.until(() => run.count('agentMedia') >= 1);
      record.add('setup', performance.now() - t0);
      await this.ask(student, 'hangUp', { callId });
      await run.until(() => run.count('callerEnded') >= 1 && run.count('wrapped') >= 1);
      record.completions.push(performance.now());
    } catch {
      record.timeouts++;
      // Leave the student free for the next call; the answer does not matter here.
      await this.ask(student, 'hangUp', { callId }, false);
      await this.ask(student, 'cancelCall', { callId }, false);
    } finally {
      this.runs.delete(callId);
    }
  }

  /** Agent: accept, answer the relayed offer and send 4 candidates, wait for the caller's 6, media, ended, wrap-up. */
  private async takeCall(agent: ClientSocket, callId: string): Promise<void> {
    const record = this.record;
    const run = this.runFor(callId);
    const t0 = performance.now();
    const accepted = await this.ask(agent, 'acceptCall', { callId });
    record.add('acceptAck', performance.now() - t0);
    if (!accepted.ok) return;
    try {
      await run.until(() => run.count('offer') >= 1);
      const negotiationId = run.negotiationId;
      const sent = [this.signal(agent, 'sendAnswer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer', sdp: ANSWER_SDP } })];
      for (let k = 0; k < 4; k++) sent.push(this.signal(agent, 'sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(10 + k) }));
      await Promise.all(sent);
      await run.until(() => run.count('callerCandidate') >= 6);
      await this.ask(agent, 'reportMedia', { callId, state: 'connected' });
      run.note('agentMedia');
      await run.until(() => run.count('agentEnded') >= 1);
      await this.ask(agent, 'completeWrapUp', { callId, disposition: 'Resolved', notes: '' });
      run.note('wrapped');
    } catch {
      // The caller's side counts the timeout; the agent only gets back to work.
      await this.ask(agent, 'hangUp', { callId }, false);
      await this.ask(agent, 'completeWrapUp', { callId, disposition: 'Resolved', notes: '' }, false);
    }
  }

  private wireAgent(agent: ClientSocket): void {
    agent.on('callOffered', ({ callId }) => void this.takeCall(agent, callId));
    agent.on('offerRelayed', (m) => {
      this.arrived('offer', m.messageId);
      const run = this.runFor(m.callId);
      run.negotiationId = m.negotiationId;
      run.note('offer');
    });
    agent.on('candidateRelayed', (m) => {
      this.arrived('callerCandidate', m.messageId);
      this.runFor(m.callId).note('callerCandidate');
    });
    agent.on('callEnded', (m) => this.runFor(m.callId).note('agentEnded'));
    // An agent whose offer rang out (a lost ack) goes Missed; back to work, as a person would.
    agent.on('agentStatusChanged', (s) => void (s.state === 'missed' && this.ask(agent, 'setAvailability', { state: 'available' })));
  }

  private wireStudent(student: ClientSocket): void {
    student.on('answerRelayed', (m) => {
      this.arrived('answer', m.messageId);
      this.runFor(m.callId).note('answer');
    });
    student.on('candidateRelayed', (m) => {
      this.arrived('agentCandidate', m.messageId);
      this.runFor(m.callId).note('agentCandidate');
    });
    student.on('callEnded', (m) => this.runFor(m.callId).note('callerEnded'));
  }

  private arrived(hop: 'offer' | 'callerCandidate' | 'answer' | 'agentCandidate', messageId: string): void {
    const at = this.sentAt.get(messageId);
    if (at === undefined) return;
    this.sentAt.delete(messageId);
    this.record.add(hop, performance.now() - at);
  }

  private signal<E extends 'sendOffer' | 'sendAnswer' | 'sendCandidate'>(socket: ClientSocket, event: E, payload: Payload<E>): Promise<Ack<unknown>> {
    this.sentAt.set(payload.messageId, performance.now());
    return this.ask(socket, event, payload);
  }

  /** Emits with an ack; an error ack (or none within the step timeout) is counted unless `counted` is false. */
  private async ask<E extends EventName>(socket: ClientSocket, event: E, payload: Payload<E>, counted = true): Promise<Ack<unknown>> {
    // socket.io types `timeout().emitWithAck` loosely; every event of this protocol answers an Ack.
    const emitter = socket.timeout(STEP_TIMEOUT_MS) as unknown as { emitWithAck(event: EventName, payload: unknown): Promise<Ack<unknown>> };
    try {
      const ack = await emitter.emitWithAck(event, payload);
      if (!ack.ok && counted) this.record.ackError(event, ack.error.code);
      return ack;
    } catch {
      if (counted) this.record.ackError(event, 'no_ack');
      return { ok: false, error: { code: 'internal', message: 'no ack within the step timeout' } };
    }
  }
}
