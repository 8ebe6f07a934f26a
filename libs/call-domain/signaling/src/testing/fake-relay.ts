import type { Ack, AgentStatus, CallId, IceServers, ServerToClientEvents } from '@switchboard/call-domain';
import type { SignalingSocket } from '../signaling-socket';

/** One server event on its way to a user's socket. */
export interface Delivery {
  /** The token (user) it goes to. */
  to: string;
  event: keyof ServerToClientEvents;
  payload: unknown;
}

/** What {@link FakeRelay.intercept} decides for a delivery. */
export type DeliveryDecision = 'deliver' | 'hold' | 'duplicate' | 'drop';

interface FakeCall {
  callId: CallId;
  caller: string;
  agent: string;
  /** The caller's offer and candidates of its latest negotiation, sent again to an agent it rings for next. */
  held: { event: 'offerRelayed' | 'candidateRelayed'; payload: unknown }[];
}

type Listener = (...args: unknown[]) => void;

/**
 * An in-memory stand-in for the API's call gateway, for browser tests of the portal's call
 * code: it hands out fake sockets (one per token), offers every call to `agent`, relays
 * offers, answers and candidates between the two parties and sends the call's events;
 * `setAvailability` answers (and announces) the agent's new status. Every
 * delivery is asynchronous, in order, like a socket. `intercept` lets a test hold, duplicate
 * or drop deliveries; `push` sends any server event (a stale offer, a withdrawal…).
 *
 * It is not the server (that is tested on its own): routing, queues and rules are minimal.
 */
export class FakeRelay {
  /** Every request received, in order. */
  readonly received: { from: string; event: string; payload: unknown }[] = [];
  /** Deliveries held by `intercept`, in order; see {@link release}. */
  readonly held: Delivery[] = [];
  /** Decides what happens to each delivery; the default delivers everything. */
  intercept: (delivery: Delivery) => DeliveryDecision = () => 'deliver';
  /** What `getIceServers` answers for a call's parties; null refuses it (`forbidden`). */
  iceServers: IceServers | null = { iceServers: [], iceTransportPolicy: 'all', expiresAt: null };
  /** Whether `acceptCall` relays an answer sent with it (false: a server that does not, e.g. older). */
  acceptsAnswers = true;
  /** Whether `sendAnswer` takes a provisional answer (false: an older server, which refuses the field). */
  acceptsProvisionalAnswers = true;
  /** Whether `sendOffer` takes `earlyMedia` and `getLiveCall` takes `callbacks` (false: an older server, which refuses the fields). */
  acceptsNewerFields = true;
  /** Requests the relay leaves unanswered (to test ack timeouts). */
  readonly unanswered = new Set<string>();
  /**
   * Requests the relay handles but never answers because the connection drops right after
   * (as when the API node dies with it in hand): the socket reconnects after
   * {@link reconnectAfterMs}. Each entry is used once.
   */
  readonly connectionLostOn = new Set<string>();
  /** How long a socket dropped by {@link connectionLostOn} stays away. */
  reconnectAfterMs = 50;

  private readonly sockets = new Map<string, FakeSocket>();
  private readonly calls = new Map<CallId, FakeCall>();

  /** @param agent The token of the agent every call is offered to. */
  constructor(readonly agent = 'agent') {}

  /** A socket factory for `SIGNALING_SOCKET_FACTORY`: one fake socket per token. */
  readonly createSocket = (token: () => string | null): SignalingSocket => {
    const socket = new FakeSocket(this, token() ?? 'anonymous');
    // The fake implements the members SignalingClient uses; socket.io's full type has many more.
    return socket as unknown as SignalingSocket;
  };

  /** Sends a server event to `to`, bypassing `intercept`. */
  push<E extends keyof ServerToClientEvents>(to: string, event: E, payload: Parameters<ServerToClientEvents[E]>[0]): void {
    this.send({ to, event, payload });
  }

  /** The call rings out at its agent: the offer is withdrawn there and the caller told the ring ended. */
  ringOut(callId: CallId): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.relay(call.agent, 'offerWithdrawn', { callId, reason: 'rang_out' });
    this.relay(call.caller, 'ringEnded', { callId });
  }

  /** Offers the call to `agent` (the next agent after a ring ended), with the caller's held offer and candidates. */
  ringAt(callId: CallId, agent: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    call.agent = agent;
    this.relay(agent, 'callOffered', { callId, caller: { id: call.caller, displayName: call.caller }, ringsOutAt: new Date(Date.now() + 30_000).toISOString() });
    for (const { event, payload } of call.held) this.relay(agent, event, payload);
  }

  /** Delivers the held deliveries that match `filter` (all by default), in order. */
  release(filter: (delivery: Delivery) => boolean = () => true): void {
    for (const delivery of this.held.filter(filter)) {
      this.held.splice(this.held.indexOf(delivery), 1);
      this.send(delivery);
    }
  }

  /** Connects and disconnects sockets (used by {@link FakeSocket}). */
  attach(socket: FakeSocket, attached: boolean): void {
    if (attached) this.sockets.set(socket.token, socket);
    else if (this.sockets.get(socket.token) === socket) this.sockets.delete(socket.token);
  }

  /** Answers one request (used by {@link FakeSocket}); resolves with its ack. */
  handle(from: string, event: string, payload: { callId?: CallId } & Record<string, unknown>): Ack<unknown> | null {
    this.received.push({ from, event, payload });
    if (this.unanswered.has(event)) return null;
    const call = payload.callId ? this.calls.get(payload.callId) : undefined;
    const other = call ? (from === call.caller ? call.agent : call.caller) : '';
    switch (event) {
      case 'requestCall': {
        const callId = crypto.randomUUID();
        this.calls.set(callId, { callId, caller: from, agent: this.agent, held: [] });
        this.relay(this.agent, 'callOffered', { callId, caller: { id: from, displayName: from }, ringsOutAt: new Date(Date.now() + 30_000).toISOString() });
        return { ok: true, data: { callId, position: 1, estimatedWaitSeconds: null } };
      }
      case 'sendOffer':
        if (payload['earlyMedia'] && !this.acceptsNewerFields) return { ok: false, error: { code: 'bad_request', message: 'Unknown field earlyMedia.' } };
        if (!call) return missing();
        if (from === call.caller) call.held = [{ event: 'offerRelayed', payload }];
        return this.relayed(other, 'offerRelayed', payload);
      case 'sendAnswer':
        if (payload['provisional'] && !this.acceptsProvisionalAnswers) return { ok: false, error: { code: 'bad_request', message: 'Unknown field provisional.' } };
        return call ? this.relayed(other, 'answerRelayed', payload) : missing();
      case 'sendCandidate':
        if (call && from === call.caller) call.held.push({ event: 'candidateRelayed', payload });
        return call ? this.relayed(other, 'candidateRelayed', payload) : missing();
      case 'acceptCall': {
        if (!call) return missing();
        this.relay(call.caller, 'callAccepted', { callId: call.callId, agent: { id: call.agent, displayName: call.agent } });
        // An answer sent with the accept goes on as a `sendAnswer` would.
        const answer = this.acceptsAnswers ? payload['answer'] : undefined;
        if (answer) this.relay(call.caller, 'answerRelayed', answer);
        return { ok: true, data: { callId: call.callId, caller: { id: call.caller, displayName: call.caller }, ringsOutAt: '', ...(answer ? { answerRelayed: true } : {}) } };
      }
      case 'resumeCall':
        if (!call) return missing();
        this.relay(call.caller, 'callResumed', { callId: call.callId });
        return { ok: true, data: { callId: call.callId, caller: { id: call.caller, displayName: call.caller } } };
      case 'getLiveCall':
        if (payload['callbacks'] && !this.acceptsNewerFields) return { ok: false, error: { code: 'bad_request', message: 'Unknown field callbacks.' } };
        return { ok: true, data: null };
      case 'getIceServers':
        if (!call) return missing();
        return this.iceServers ? { ok: true, data: this.iceServers } : { ok: false, error: { code: 'forbidden', message: 'No ICE servers for you.' } };
      case 'declineCall':
        if (!call) return missing();
        this.relay(call.caller, 'callDeclined', { callId: call.callId });
        this.relay(call.caller, 'ringEnded', { callId: call.callId });
        return { ok: true, data: undefined };
      case 'cancelCall':
        if (!call) return missing();
        this.calls.delete(call.callId);
        this.relay(call.agent, 'offerWithdrawn', { callId: call.callId, reason: 'cancelled' });
        this.relay(call.caller, 'callEnded', { callId: call.callId, outcome: 'abandoned', endedBy: 'caller', reason: 'cancelled' });
        return { ok: true, data: undefined };
      case 'hangUp':
        if (!call) return missing();
        this.calls.delete(call.callId);
        for (const to of [call.caller, call.agent]) {
          this.relay(to, 'callEnded', { callId: call.callId, outcome: 'answered', endedBy: from === call.caller ? 'caller' : 'agent', reason: 'hung_up' });
        }
        return { ok: true, data: undefined };
      case 'setAvailability': {
        const status: AgentStatus = {
          agentId: from,
          displayName: from,
          state: payload['state'] as AgentStatus['state'],
          since: new Date().toISOString(),
          connected: true,
          callId: null,
          wrapUpEndsAt: null,
        };
        this.relay(from, 'agentStatusChanged', status);
        return { ok: true, data: status };
      }
      case 'extendWrapUp': {
        const status: AgentStatus = {
          agentId: from,
          displayName: from,
          state: 'wrap_up',
          since: new Date().toISOString(),
          connected: true,
          callId: payload.callId ?? null,
          wrapUpEndsAt: new Date(Date.now() + 90_000).toISOString(),
        };
        this.relay(from, 'agentStatusChanged', status);
        return { ok: true, data: status };
      }
      default:
        return { ok: true, data: undefined };
    }
  }

  private relayed(to: string, event: keyof ServerToClientEvents, payload: unknown): Ack<unknown> {
    this.relay(to, event, payload);
    return { ok: true, data: undefined };
  }

  private relay(to: string, event: keyof ServerToClientEvents, payload: unknown): void {
    const delivery = { to, event, payload };
    const decision = this.intercept(delivery);
    if (decision === 'hold') this.held.push(delivery);
    else if (decision === 'deliver') this.send(delivery);
    else if (decision === 'duplicate') {
      this.send(delivery);
      this.send(delivery);
    }
  }

  private send({ to, event, payload }: Delivery): void {
    // A macrotask per delivery keeps them in order and asynchronous, like a socket.
    setTimeout(() => this.sockets.get(to)?.receive(event, payload));
  }
}

function missing(): Ack<never> {
  return { ok: false, error: { code: 'not_found', message: 'No such call.' } };
}

/** The members of a socket.io client socket that the portal uses, over a {@link FakeRelay}. */
export class FakeSocket {
  /** Whether the socket is connected. */
  connected = false;
  /** Whether the socket would reconnect by itself (false after `disconnect()`). */
  active = false;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly pending = new Set<(error: Error) => void>();

  constructor(
    private readonly relay: FakeRelay,
    /** The token it connects with: the user's identity in the relay. */
    readonly token: string,
  ) {}

  connect(): this {
    this.active = true;
    setTimeout(() => {
      if (!this.active) return;
      this.connected = true;
      this.relay.attach(this, true);
      this.receive('connect');
    });
    return this;
  }

  disconnect(): this {
    const wasConnected = this.connected;
    this.active = this.connected = false;
    this.relay.attach(this, false);
    if (wasConnected) this.receive('disconnect', 'io client disconnect');
    return this;
  }

  on(event: string, listener: Listener): this {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(listener);
    return this;
  }

  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  removeAllListeners(): this {
    this.listeners.clear();
    return this;
  }

  timeout(ms: number): { emitWithAck(event: string, payload: Record<string, unknown>): Promise<Ack<unknown>> } {
    return {
      emitWithAck: (event, payload) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('operation has timed out')), ms);
          const pending = (error: Error) => {
            clearTimeout(timer);
            reject(error);
          };
          this.pending.add(pending);
          setTimeout(() => {
            const ack = this.relay.handle(this.token, event, payload);
            if (this.relay.connectionLostOn.delete(event)) return this.lose(this.relay.reconnectAfterMs);
            if (ack === null) return;
            clearTimeout(timer);
            this.pending.delete(pending);
            setTimeout(() => resolve(ack));
          });
        }),
    };
  }

  /**
   * The connection drops (the socket stays active and reconnects after `reconnectAfterMs`):
   * requests waiting for an answer fail at once, as socket.io's do.
   */
  lose(reconnectAfterMs: number): void {
    if (!this.connected) return;
    this.connected = false;
    this.relay.attach(this, false);
    this.receive('disconnect', 'transport close');
    for (const reject of [...this.pending]) reject(new Error('socket has been disconnected'));
    this.pending.clear();
    setTimeout(() => {
      if (!this.active) return;
      this.connected = true;
      this.relay.attach(this, true);
      this.receive('connect');
    }, reconnectAfterMs);
  }

  /** Calls the listeners of `event` (used by the relay). */
  receive(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener(...args);
  }
}
