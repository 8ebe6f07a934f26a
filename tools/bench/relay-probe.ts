// The stall probe's second half (`tools/bench-history.mjs`): one call in progress between two
// sockets, whose caller sends an ICE candidate every few milliseconds while a long supervisor
// request runs. How long each takes to reach the agent is what a call in progress feels of a
// server that stalls (a relayed candidate waits behind whatever holds the event loop).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Ack } from '@switchboard/call-domain';
import { ANSWER_SDP, type ClientSocket, OFFER_SDP, candidate, closeAll, connectSocket } from './gateway-calls';

const ACK_TIMEOUT_MS = 30_000;

/** What the probe measured while one piece of work ran. */
export interface RelaySample<T> {
  result: T;
  /** Milliseconds from `sendCandidate` to `candidateRelayed` at the agent, one per candidate relayed. */
  latencies: number[];
  /** Candidates sent that had not arrived when the work and a second's grace were over. */
  lost: number;
}

/** A call in progress between an agent's and a student's socket, for {@link RelayProbe.sample}. */
export class RelayProbe {
  private readonly sentAt = new Map<string, number>();
  private latencies: number[] = [];

  private constructor(
    private readonly agent: ClientSocket,
    private readonly student: ClientSocket,
    private readonly callId: string,
    private readonly negotiationId: string,
  ) {
    agent.on('candidateRelayed', ({ messageId }) => {
      const at = this.sentAt.get(messageId);
      if (at === undefined) return;
      this.sentAt.delete(messageId);
      this.latencies.push(performance.now() - at);
    });
  }

  /**
   * With the two users' access tokens: makes the agent Available, places a call from the
   * student, accepts it and exchanges the offer and the answer, so that the call is in
   * progress as far as the server knows.
   */
  static async open(url: string, agentToken: string, studentToken: string): Promise<RelayProbe> {
    const [agent, student] = await Promise.all([connectSocket(url, agentToken), connectSocket(url, studentToken)]);
    try {
      await ask(agent, 'setAvailability', { state: 'available' });
      const offered = new Promise<string>((resolve) => agent.once('callOffered', ({ callId }) => resolve(callId)));
      const { callId } = (await ask(student, 'requestCall', {})) as { callId: string };
      if ((await offered) !== callId) throw new Error('another call was offered to the probe agent');
      const negotiationId = randomUUID();
      await ask(student, 'sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: OFFER_SDP } });
      await ask(agent, 'acceptCall', { callId });
      await ask(agent, 'sendAnswer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer', sdp: ANSWER_SDP } });
      await Promise.all([ask(student, 'reportMedia', { callId, state: 'connected' }), ask(agent, 'reportMedia', { callId, state: 'connected' })]);
      return new RelayProbe(agent, student, callId, negotiationId);
    } catch (error) {
      await closeAll([agent, student]);
      throw error;
    }
  }

  /** Runs `work` while the caller sends a candidate every `everyMs` (50: within the signaling rate limit). */
  async sample<T>(work: () => Promise<T>, everyMs = 50): Promise<RelaySample<T>> {
    this.latencies = [];
    this.sentAt.clear();
    let running = true;
    let k = 0;
    const sender = (async () => {
      while (running) {
        const messageId = randomUUID();
        this.sentAt.set(messageId, performance.now());
        this.student.emit('sendCandidate', { callId: this.callId, messageId, negotiationId: this.negotiationId, candidate: candidate(k++ % 1000) }, () => undefined);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    let result: T;
    try {
      result = await work();
    } finally {
      running = false;
      await sender;
      // What is still on its way gets a second; what has not come then is lost.
      const deadline = performance.now() + 1000;
      while (this.sentAt.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    return { result, latencies: this.latencies, lost: this.sentAt.size };
  }

  /** Hangs up, wraps up and closes both sockets. */
  async close(): Promise<void> {
    await ask(this.student, 'hangUp', { callId: this.callId }).catch(() => undefined);
    await ask(this.agent, 'completeWrapUp', { callId: this.callId, disposition: 'Resolved', notes: '' }).catch(() => undefined);
    await closeAll([this.agent, this.student]);
  }
}

/** Emits with an ack; resolves with the ack's data, rejects with its error. */
async function ask(socket: ClientSocket, event: string, payload: unknown): Promise<unknown> {
  const emitter = socket.timeout(ACK_TIMEOUT_MS) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Ack<unknown>> };
  const ack = await emitter.emitWithAck(event, payload);
  if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
  return ack.data;
}
