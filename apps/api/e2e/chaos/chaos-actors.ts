import { randomUUID } from 'node:crypto';
import type { AgentStatus, ClientToServerEvents, LiveCall, QueuePosition } from '@switchboard/call-domain';
import type { ChaosAck, ChaosClient } from './chaos-client';
import type { AckedWrapUp } from './ledger-checks';
import type { SeededRandom } from '../../src/supervisor/seeding/random';

/** What a stretch of a run is for: getting everyone ready, driving calls until the kill, or the restarted node's settling. */
export type PhaseMode = 'prepare' | 'drive' | 'settle';

/**
 * One stretch of a run. Actions are scheduled on it and dropped once it ends, so nothing a
 * client planned before a kill is sent to the restarted node.
 */
export class Phase {
  private readonly tasks = new Set<Promise<void>>();
  private live = true;

  constructor(
    readonly mode: PhaseMode,
    readonly rng: SeededRandom,
  ) {}

  /** Whether the phase still runs. */
  get active(): boolean {
    return this.live;
  }

  /** Runs `step` after `ms`, if the phase is still running then. */
  later(ms: number, step: () => Promise<unknown> | unknown): void {
    if (!this.live) return;
    const task = new Promise((r) => setTimeout(r, ms))
      .then(() => (this.live ? step() : undefined))
      .then(
        () => undefined,
        () => undefined,
      );
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /** Whether every scheduled action has run. */
  get idle(): boolean {
    return this.tasks.size === 0;
  }

  /** Stops the phase: later actions are dropped. */
  end(): void {
    this.live = false;
  }
}

/** What the clients know of the calls: each call's stage of life, and every acknowledged wrap-up. */
export class CallBook {
  /** Call id → stage, as the clients last saw it (e.g. `accept in flight`). */
  readonly stages = new Map<string, string>();
  /** Students whose `requestCall` has no ack yet. */
  readonly requesting = new Set<string>();
  readonly ackedWrapUps: AckedWrapUp[] = [];

  /** Stages of the calls not over, counted (what a kill interrupted). */
  openStages(): Record<string, number> {
    const counts: Record<string, number> = {};
    const add = (stage: string) => (counts[stage] = (counts[stage] ?? 0) + 1);
    for (const stage of this.stages.values()) if (stage !== 'ended' && stage !== 'wrap-up saved') add(stage);
    for (let i = 0; i < this.requesting.size; i++) add('request in flight');
    return counts;
  }
}

/** What actors share: the run's current phase and its call book. */
export interface ActorContext {
  phase(): Phase;
  readonly book: CallBook;
}

type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];

/** Base of the two roles: sends only while the phase that planned the send still runs. */
abstract class Actor {
  constructor(
    readonly client: ChaosClient,
    protected readonly run: ActorContext,
  ) {}

  protected send<E extends keyof ClientToServerEvents>(phase: Phase, event: E, payload: Payload<E>): Promise<ChaosAck> {
    if (!phase.active) return Promise.resolve({ ok: false, code: 'phase_over' });
    return this.client.emit(event, payload);
  }

  protected candidate(callId: string, n: number): Payload<'sendCandidate'> {
    return { callId, messageId: randomUUID(), candidate: { candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${40000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } };
  }
}

const FAKE_SDP = (type: string) => `v=0\r\no=- ${Date.now()} 2 IN IP4 127.0.0.1\r\ns=chaos ${type}\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n`;

/**
 * A student's tab: places a call, sends its offer and candidates, reports media once an agent
 * accepts, sometimes cancels or hangs up. After a restart it ends the calls it placed, as a
 * reloaded portal does (or is away, and the caller grace ends them).
 */
export class StudentActor extends Actor {
  private readonly open = new Set<string>();
  private readonly accepted = new Set<string>();
  private readonly ending = new Set<string>();
  private patient = false;

  constructor(client: ChaosClient, run: ActorContext) {
    super(client, run);
    client.on('queueUpdated', ({ callId }) => this.learn(callId));
    client.on('callAccepted', ({ callId }) => (this.accepted.add(callId), this.learn(callId), this.talk(callId)));
    client.on('callEnded', ({ callId }) => (this.open.delete(callId), this.run.book.stages.set(callId, 'ended')));
  }

  /** Places one call, a little later. */
  drive(): void {
    const phase = this.run.phase();
    phase.later(phase.rng.int(0, 300), () => this.place(phase));
  }

  /**
   * The call the server says this tab's student is in (`getLiveCall`, as the portal asks after
   * a reload), if any: the agent's fake media connects a call without the caller, so a caller
   * whose `callAccepted` was lost to the kill is not told again, while a real caller's media
   * cannot connect before its page has the answer, and so its acceptance.
   */
  async liveCall(): Promise<LiveCall | null> {
    const live = await this.client.emit('getLiveCall', {});
    const call = live.ok ? (live.data as LiveCall | null) : null;
    return call?.role === 'caller' ? call : null;
  }

  /**
   * The node came back and this tab reconnected: it ends its calls, or (`patient`) keeps
   * waiting in line and ends only a call it knows an agent took ({@link liveCall}'s among
   * them), so the deadlines must move the waiting ones on.
   */
  afterRestart(patient: boolean, live: LiveCall | null): void {
    this.ending.clear();
    this.patient = patient;
    if (live) {
      this.accepted.add(live.callId);
      this.learn(live.callId);
    }
    for (const callId of this.open) this.scheduleEnd(callId);
  }

  /** Ends every call of this student the database still has open (before the next round). */
  async endCalls(callIds: readonly string[]): Promise<void> {
    for (const callId of callIds) await this.client.emit('cancelCall', { callId });
  }

  private learn(callId: string): void {
    if (this.open.has(callId) || this.run.book.stages.get(callId) === 'ended') return;
    this.open.add(callId);
    this.scheduleEnd(callId);
  }

  private async place(phase: Phase): Promise<void> {
    const { book } = this.run;
    book.requesting.add(this.client.id);
    const ack = await this.send(phase, 'requestCall', {});
    book.requesting.delete(this.client.id);
    if (!ack.ok) return;
    const { callId } = ack.data as QueuePosition;
    this.open.add(callId);
    if (!book.stages.has(callId)) book.stages.set(callId, 'queued');
    await this.send(phase, 'sendOffer', { callId, messageId: randomUUID(), description: { type: 'offer', sdp: FAKE_SDP('offer') } });
    for (let n = 0; n < phase.rng.int(1, 3); n++) await this.send(phase, 'sendCandidate', this.candidate(callId, n));
    if (phase.rng.chance(0.15)) phase.later(phase.rng.int(0, 1200), () => this.end(phase, callId));
  }

  private talk(callId: string): void {
    const phase = this.run.phase();
    if (phase.mode !== 'drive') return;
    phase.later(phase.rng.int(0, 200), () => this.send(phase, 'reportMedia', { callId, state: 'connected' }));
    phase.later(phase.rng.int(150, 900), () => phase.rng.chance(0.5) && this.end(phase, callId));
  }

  private scheduleEnd(callId: string): void {
    const phase = this.run.phase();
    if (phase.mode !== 'settle' || this.ending.has(callId) || (this.patient && !this.accepted.has(callId))) return;
    this.ending.add(callId);
    phase.later(phase.rng.int(0, 600), () => this.end(phase, callId));
  }

  private async end(phase: Phase, callId: string): Promise<void> {
    if (!this.open.has(callId)) return;
    const stage = this.run.book.stages.get(callId);
    this.run.book.stages.set(callId, stage === 'queued' || stage === 'ringing' ? 'cancel in flight' : 'hang-up in flight');
    await this.send(phase, 'cancelCall', { callId });
  }
}

/**
 * An agent's tab: accepts most offers (after a moment), declines some, lets some ring out;
 * answers, reports media, sometimes hangs up, and saves the wrap-up. After a restart it may
 * accept what rings, hang up an interrupted call, or save its wrap-up (else the timers do).
 */
export class AgentActor extends Actor {
  private readonly accepted = new Set<string>();
  private reacted = false;

  constructor(client: ChaosClient, run: ActorContext) {
    super(client, run);
    client.on('callOffered', ({ callId }) => this.offered(callId));
    client.on('callEnded', ({ callId }) => this.ended(callId));
    client.on('agentStatusChanged', (status) => this.statusShown(status));
  }

  /** The node came back: the next status shown is the one the reloaded page reacts to. */
  afterRestart(): void {
    this.reacted = false;
  }

  private offered(callId: string): void {
    this.run.book.stages.set(callId, 'ringing');
    const phase = this.run.phase();
    if (phase.mode === 'drive') {
      const choice = phase.rng.next();
      if (choice < 0.75) phase.later(phase.rng.int(0, 400), () => this.accept(phase, callId, true));
      else if (choice < 0.87) phase.later(phase.rng.int(0, 300), () => this.send(phase, 'declineCall', { callId }));
    } else if (phase.mode === 'settle' && phase.rng.chance(0.3)) {
      phase.later(phase.rng.int(0, 300), () => this.accept(phase, callId, false));
    }
  }

  private async accept(phase: Phase, callId: string, withMedia: boolean): Promise<void> {
    const { book } = this.run;
    book.stages.set(callId, 'accept in flight');
    const ack = await this.send(phase, 'acceptCall', { callId });
    if (!ack.ok) return;
    this.accepted.add(callId);
    book.stages.set(callId, 'accepted');
    if (!withMedia) return;
    await this.send(phase, 'sendAnswer', { callId, messageId: randomUUID(), description: { type: 'answer', sdp: FAKE_SDP('answer') } });
    await this.send(phase, 'sendCandidate', this.candidate(callId, 9));
    phase.later(phase.rng.int(0, 200), async () => {
      if ((await this.send(phase, 'reportMedia', { callId, state: 'connected' })).ok && book.stages.get(callId) === 'accepted') book.stages.set(callId, 'connected');
    });
    phase.later(phase.rng.int(150, 900), () => phase.rng.chance(0.5) && this.hangUp(phase, callId));
  }

  private async hangUp(phase: Phase, callId: string): Promise<void> {
    if (!this.accepted.has(callId)) return;
    this.run.book.stages.set(callId, 'hang-up in flight');
    const hungUp = this.send(phase, 'hangUp', { callId });
    // A quick agent's wrap-up right behind the hang-up (not waiting for its ack), so it can
    // arrive while the server is still moving the agent into wrap-up.
    if (phase.rng.chance(0.25)) phase.later(phase.rng.int(0, 6), () => this.wrapUp(phase, callId));
    await hungUp;
  }

  private ended(callId: string): void {
    if (!this.accepted.delete(callId)) return;
    this.run.book.stages.set(callId, 'wrap-up');
    const phase = this.run.phase();
    if (phase.mode === 'drive' || (phase.mode === 'settle' && phase.rng.chance(0.7))) {
      phase.later(phase.rng.chance(0.3) ? 0 : phase.rng.int(0, 400), () => this.wrapUp(phase, callId));
    }
  }

  private async wrapUp(phase: Phase, callId: string): Promise<void> {
    const { book } = this.run;
    book.stages.set(callId, 'wrap-up in flight');
    const ack = await this.send(phase, 'completeWrapUp', { callId, disposition: 'Resolved', notes: 'chaos run' });
    if (!ack.ok) return;
    book.ackedWrapUps.push({ callId, agentId: this.client.id, disposition: 'Resolved', ackedAt: Date.now() });
    book.stages.set(callId, 'wrap-up saved');
  }

  private statusShown(status: AgentStatus): void {
    const phase = this.run.phase();
    if (phase.mode !== 'settle' || this.reacted) return;
    this.reacted = true;
    const callId = status.callId;
    if (!callId) return;
    if (status.state === 'on_call') {
      this.accepted.add(callId);
      if (phase.rng.chance(0.5)) phase.later(phase.rng.int(0, 500), () => this.hangUp(phase, callId));
    }
    if (status.state === 'wrap_up' && phase.rng.chance(0.7)) phase.later(phase.rng.int(0, 500), () => this.wrapUp(phase, callId));
  }
}
