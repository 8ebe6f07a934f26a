import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import type { AnswerMessage, CandidateMessage, OfferMessage, OfferReason } from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { callAgentRoom, callCallerRoom, callCallerTabRoom, callRingingRoom } from './call-parties';
import { CallSignalingCache, type CallSignaling } from './call-signaling-cache';
import { CallRecords } from './call-records';
import { AnswerHolds } from './answer-holds';
import { SignalHolds, type NegotiationStart } from './signal-holds';
import { SocketRooms, type Broadcast } from './socket-rooms';

const NOT_A_PARTY = 'Only the parties of a call may signal for it';
/** The timeline entry of a later negotiation, by the reason its offer gives. */
const REASON_EVENTS = { ice_restart: 'ice_restarted', resume: 'resumed' } as const;

const NOT_RINGING_AGENT = 'Only the agent the call rings for may answer it provisionally';

const STALE = 'This message belongs to an earlier negotiation of the call';

/**
 * Across nodes, how long a message of a negotiation neither the stored call nor this node knows
 * waits, read again after each pause, before it counts as stale: its offer may have been relayed
 * by another node whose transaction has not committed yet (milliseconds; more under load). A
 * negotiation this node saw replaced is stale at once; on one node nothing waits.
 */
const NEGOTIATION_WAITS_MS = [5, 20, 50, 100, 200, 400] as const;

/** How many ringing calls a node remembers giving their held signals (see `SignalRelay.resendHeldOnRing`). */
const MAX_RINGS_REMEMBERED = 20_000;

/**
 * Relays WebRTC signaling between a call's two parties: offers only from the caller, answers
 * only from the accepted agent, candidates from either (on an outbound call — a callback — the
 * agent offers and the student answers: "caller" and "agent" below name the sides of the media,
 * see {@link offererOf}), and only of the call's current
 * negotiation (an offer with a new `negotiationId` starts one; answers and candidates of
 * another are refused with `stale_negotiation`). The caller's offer and candidates of the
 * current negotiation are held ({@link SignalHolds}) until media connects or the call ends.
 *
 * The sender's right is what its socket already proved: the ledger's events put a call's
 * caller sockets in {@link callCallerRoom} and the socket that accepted in
 * {@link callAgentRoom}, so a relay reads nothing from the database; a socket outside those
 * rooms (another tab, a call that is over, a stranger) is checked against the stored call.
 * One call's messages are handled in arrival order.
 */
@Injectable()
export class SignalRelay {
  private readonly cache = new CallSignalingCache();
  private readonly lanes = new Map<string, Promise<unknown>>();
  /** Calls this node gave their ringing tabs the held signals when they rang (until accepted, withdrawn or ended): whether that worked. */
  private readonly ringGotHeld = new Map<string, Promise<boolean>>();
  /**
   * Calls this node is placing ({@link callPlacing}), until the transaction that places them
   * is over: a ring in that transaction finds nothing of the caller held.
   */
  private readonly placing = new Set<string>();
  /** Calls whose new negotiation this node is storing (with the offer that starts it), until stored or refused: whether it was stored. */
  private readonly starting = new Map<string, Promise<boolean>>();

  constructor(
    private readonly records: CallRecords,
    private readonly rooms: SocketRooms,
    private readonly holds: SignalHolds,
    private readonly answerHolds: AnswerHolds,
  ) {}

  /**
   * The caller's SDP offer: starts a negotiation (or repeats the current one's), relayed at
   * once and acknowledged once held. A new negotiation is stored in the transaction that holds
   * the offer, so the offer reaches the agent's side without waiting for a commit; a message of
   * that negotiation checked before it is stored waits for it ({@link storedCall}).
   */
  relayOffer(socket: AppSocket, message: OfferMessage): Promise<void> {
    return this.inLane(message.callId, async () => {
      const first = this.firstOffer(socket, message);
      const call = first ? null : await this.callOf(socket, message.callId, 'caller');
      const current = call ? call.negotiation_id : null;
      const negotiationId = message.negotiationId ?? current ?? randomUUID();
      const known = first ?? this.cache.set(message.callId, current, call?.state === 'connected');
      if (negotiationId === current && call?.state === 'connected') throw new ProblemException('invalid_state', 'Media is already connected: the call takes no new offer');
      if (this.cache.seenBefore(known, message.messageId)) return { stored: Promise.resolve() };
      const start = negotiationId === current ? null : { timeline: call ? this.timelineOf(call, socket, message.reason) : null };
      this.cache.replace(known, negotiationId);
      known.connected = false;
      known.earlyMedia = message.earlyMedia === true;
      this.agentSide(message.callId).emit('offerRelayed', message);
      const stored = this.holds.hold('offer', message, negotiationId, start);
      if (start) {
        this.startingUntil(message.callId, stored, () => {
          // Not stored (the call ended, or the write failed): the call's negotiation is still the one before.
          if (known.negotiationId === negotiationId) this.cache.replace(known, current);
        });
      }
      // The call's next messages need not wait for the write.
      return { stored: this.forgetIfNotHeld(known, message.messageId, stored) };
    }).then(held);
  }

  /**
   * This node is placing the call `callId` (from inside the transaction that stores it, which
   * may also ring it) until {@link placingOver}: nobody but this node knows the call's id, so
   * nothing of its caller is held or relayed yet.
   */
  callPlacing(callId: string): void {
    this.placing.add(callId);
  }

  /** The transaction that placed (or failed to place) `callId` is over, its events delivered. */
  placingOver(callId: string): void {
    this.placing.delete(callId);
  }

  /** A call placed through this node (its caller's tab is here): nothing is negotiated yet. */
  callPlaced(callId: string): void {
    this.cache.set(callId, null, false);
  }

  /**
   * What this node knows of the call, when `message` is its first offer from the tab that placed
   * it (or took it up) and this node saw nothing negotiated yet: that tab is the only one that
   * offers, so the stored call cannot say otherwise and is not read. Null for any other offer.
   */
  private firstOffer(socket: AppSocket, message: OfferMessage): CallSignaling | null {
    const known = this.cache.get(message.callId);
    if (!known || known.negotiationId !== null || message.reason !== undefined) return null;
    return socket.rooms.has(callCallerTabRoom(message.callId)) ? known : null;
  }

  /**
   * The accepted agent's SDP answer, relayed to the caller, and held until media connects (for
   * a caller whose socket comes back as a new one); acknowledged once held.
   */
  async relayAnswer(socket: AppSocket, message: AnswerMessage): Promise<void> {
    if (message.provisional) return this.inLane(message.callId, () => this.relayProvisionalAnswer(socket, message));
    const fast = socket.rooms.has(callAgentRoom(message.callId));
    const call = fast ? null : await this.callOf(socket, message.callId, 'agent');
    const known = await this.signalingOf(message.callId, call);
    await this.checkNegotiation(message.callId, known, message.negotiationId);
    (call ? this.rooms.toUser(offererOf(call)) : this.rooms.to(callCallerRoom(message.callId))).emit('answerRelayed', message);
    await this.negotiationStored(message.callId, known, message.negotiationId);
    if (!known.connected) await this.answerHolds.hold('answer', message);
  }

  /**
   * A candidate from either party, relayed to the other. The caller's are held too until media
   * connects, up to MAX_HELD_CANDIDATES per call; beyond that they are still relayed live.
   */
  relayCandidate(socket: AppSocket, message: CandidateMessage): Promise<void> {
    if (socket.rooms.has(callAgentRoom(message.callId))) return this.relayAgentCandidate(message, null);
    if (socket.rooms.has(callRingingRoom(message.callId))) return this.inLane(message.callId, () => this.relayRingingCandidate(socket, message));
    if (socket.rooms.has(callCallerRoom(message.callId))) {
      // Behind the caller's offer while it is being handled (it may start the negotiation this
      // candidate belongs to); otherwise at once. Acknowledged once held.
      if (!this.lanes.has(message.callId)) return this.relayCallerCandidate(message, null).then(held);
      return this.inLane(message.callId, () => this.relayCallerCandidate(message, null)).then(held);
    }
    return this.inLane(message.callId, async () => {
      const call = await this.callOf(socket, message.callId, 'either');
      if (answererOf(call) === socket.data.user.id && offererOf(call) !== socket.data.user.id) return { stored: this.relayAgentCandidate(message, call) };
      return this.relayCallerCandidate(message, call);
    }).then(held);
  }

  /** Sends the call's held offer and candidates, in order, to `target`. */
  async resendHeld(callId: string, target: Broadcast): Promise<void> {
    for (const signal of await this.holds.held(callId)) {
      const { kind, ...message } = signal;
      if (kind === 'offer') target.emit('offerRelayed', message as OfferMessage);
      else if (kind === 'candidate') target.emit('candidateRelayed', message as CandidateMessage);
    }
  }

  /**
   * Sends the held offer and candidates to the tabs of the agent the call now rings at, and
   * remembers whether they got them. A ring in the transaction that placed the call (delivered
   * as it commits, before the caller has the call's id in its ack) has nothing to send: nothing
   * is read.
   */
  async resendHeldOnRing(callId: string, agentTabs: Broadcast): Promise<void> {
    const sent = this.placing.has(callId) ? Promise.resolve() : this.resendHeld(callId, agentTabs);
    // A bound, not a limit: forgetting only means an accept gets them again.
    if (this.ringGotHeld.size >= MAX_RINGS_REMEMBERED) this.ringGotHeld.clear();
    this.ringGotHeld.set(
      callId,
      sent.then(
        () => true,
        () => false,
      ),
    );
    await sent;
  }

  /** Whether this node gave the call's ringing tabs its held signals (waits for that re-send in flight); asked once, as the call is accepted. */
  async takeRingGotHeld(callId: string): Promise<boolean> {
    const sent = this.ringGotHeld.get(callId);
    this.ringGotHeld.delete(callId);
    return (await sent) ?? false;
  }

  /** Sends the accepted agent's held answer and candidates, in order, to `target` (a caller's new socket). */
  async resendAnswerHeld(callId: string, target: Broadcast): Promise<void> {
    for (const signal of await this.answerHolds.held(callId)) {
      const { kind, ...message } = signal;
      if (kind === 'answer') target.emit('answerRelayed', message as AnswerMessage);
      else target.emit('candidateRelayed', message as CandidateMessage);
    }
  }

  /**
   * Whether the call's media is connected as this node knows it, asked for `socket`: true or
   * false when the socket is a party's (in the call's caller or agent room) and this node knows
   * the call, else undefined (read the stored call). True stays true: a call leaves Connected
   * only by ending, and its end forgets it (on the node that ends it; elsewhere the parties'
   * sockets leave the call's rooms). False may also be a connected call whose caller offered
   * again; across nodes the call may have connected through another node (its events are
   * delivered there): undefined then.
   */
  mediaConnectedFor(socket: AppSocket, callId: string): boolean | undefined {
    if (!socket.rooms.has(callCallerRoom(callId)) && !socket.rooms.has(callAgentRoom(callId))) return undefined;
    const connected = this.cache.get(callId)?.connected;
    return connected === false && this.rooms.spanNodes ? undefined : connected;
  }

  /** The ledger says media connected: the caller's messages are no longer held. */
  mediaConnected(callId: string): void {
    const known = this.cache.get(callId);
    if (known) known.connected = true;
  }

  /** The ledger says the call no longer rings for its agent: that agent's provisional candidates are no longer relayed without a check. */
  ringEnded(callId: string): void {
    this.ringGotHeld.delete(callId);
    const known = this.cache.get(callId);
    if (known) known.ringingAnswerer = null;
  }

  /** The ledger says a negotiation started (on any node that delivers it). */
  negotiationStarted(callId: string, negotiationId: string): void {
    const known = this.cache.get(callId);
    if (known) this.cache.replace(known, negotiationId);
  }

  /**
   * The ringing agent's provisional answer (early media, see `AnswerMessage.provisional`):
   * only from the agent the inbound call rings for, of the current negotiation, read from the
   * stored call, and only to an offer that says `earlyMedia` (an older caller's does not). Relayed to the caller, not held: a caller on a new socket, or a ring that
   * ends, starts a new negotiation. The agent's candidates of it are relayed from then on.
   */
  private async relayProvisionalAnswer(socket: AppSocket, message: AnswerMessage): Promise<void> {
    const call = this.ringingFor(socket, await this.storedCall(message.callId, message.negotiationId, (stored) => stored.ringing_agent_id === socket.data.user.id));
    if (call.negotiation_id === null) throw new ProblemException('invalid_state', 'The caller has not offered yet');
    requireCurrentNegotiation(message.negotiationId, call.negotiation_id);
    const known = this.cache.set(call.id, call.negotiation_id, false);
    if (!known.earlyMedia && !(await this.offerTakesEarlyMedia(call.id, call.negotiation_id))) {
      throw new ProblemException('invalid_state', 'The caller\'s offer does not take a provisional answer: answer after Accept');
    }
    known.ringingAnswerer = socket.data.user.id;
    this.rooms.to(callCallerRoom(call.id)).emit('answerRelayed', message);
  }

  /** Whether the held offer of `negotiationId` says `earlyMedia` (this node did not relay it). */
  private async offerTakesEarlyMedia(callId: string, negotiationId: string): Promise<boolean> {
    const offer = (await this.holds.held(callId)).find((signal) => signal.kind === 'offer');
    return offer?.kind === 'offer' && offer.negotiationId === negotiationId && offer.earlyMedia === true;
  }

  /**
   * A candidate of the ringing agent's provisional answer, relayed to the caller (not held).
   * Once this node relayed that agent's provisional answer of the current negotiation it reads
   * nothing (until the ledger says the ring ended); otherwise the stored call says whether the
   * call rings for the sender, and its offer must take a provisional answer (`earlyMedia`).
   */
  private async relayRingingCandidate(socket: AppSocket, message: CandidateMessage): Promise<void> {
    let known = this.cache.get(message.callId);
    if (!known || known.ringingAnswerer !== socket.data.user.id) {
      const userId = socket.data.user.id;
      const stored = await this.storedCall(message.callId, message.negotiationId, (call) => call.ringing_agent_id === userId || call.agent_id === userId);
      // Accepted by this agent, whose socket is still in the ringing room: the rooms' change goes
      // through Redis on several nodes and comes later while Redis is away. An accepted agent's candidate.
      if (stored?.direction === 'inbound' && stored.agent_id === socket.data.user.id && (stored.state === 'accepted' || stored.state === 'connected')) {
        return this.relayAgentCandidate(message, stored);
      }
      const call = this.ringingFor(socket, stored);
      known = this.cache.set(call.id, call.negotiation_id, false);
      if (call.negotiation_id === null || !(known.earlyMedia || (await this.offerTakesEarlyMedia(call.id, call.negotiation_id)))) {
        throw new ProblemException('invalid_state', 'The caller\'s offer does not take a provisional answer: send candidates after Accept');
      }
    }
    await this.checkNegotiation(message.callId, known, message.negotiationId);
    this.rooms.to(callCallerRoom(message.callId)).emit('candidateRelayed', message);
  }

  /**
   * `call`, if it rings right now for the socket's user (an inbound call's agent): `forbidden`
   * for anyone else, `invalid_state` for the agent of a call that no longer rings.
   */
  private ringingFor(socket: AppSocket, call: CallRow | undefined): CallRow {
    const userId = socket.data.user.id;
    if (call?.direction !== 'inbound') throw new ProblemException('forbidden', NOT_RINGING_AGENT);
    if (call.state === 'ringing' && call.ringing_agent_id === userId) return call;
    if (call.agent_id === userId) throw new ProblemException('invalid_state', 'The call no longer rings: its answer is not provisional');
    throw new ProblemException('forbidden', NOT_RINGING_AGENT);
  }

  /** The ledger says the call ended: nothing of it is relayed any more. */
  callEnded(callId: string): void {
    this.ringGotHeld.delete(callId);
    this.cache.forget(callId);
  }

  private async relayAgentCandidate(message: CandidateMessage, call: CallRow | null): Promise<void> {
    const known = await this.signalingOf(message.callId, call);
    await this.checkNegotiation(message.callId, known, message.negotiationId);
    (call ? this.rooms.toUser(offererOf(call)) : this.rooms.to(callCallerRoom(message.callId))).emit('candidateRelayed', message);
    await this.negotiationStored(message.callId, known, message.negotiationId);
    if (!known.connected) await this.answerHolds.hold('candidate', message);
  }

  /**
   * Relays the caller's candidate and starts holding it (until media connects); `stored`
   * resolves once it is held. Its own promise resolves as soon as it is relayed, so the
   * call's next messages do not wait for the write (and holds of a burst share one).
   */
  private async relayCallerCandidate(message: CandidateMessage, call: CallRow | null): Promise<{ stored: Promise<void> }> {
    const known = await this.signalingOf(message.callId, call);
    await this.checkNegotiation(message.callId, known, message.negotiationId, 'caller');
    if (this.cache.seenBefore(known, message.messageId)) return { stored: Promise.resolve() };
    this.agentSide(message.callId).emit('candidateRelayed', message);
    if (known.connected) return { stored: Promise.resolve() };
    return { stored: this.forgetIfNotHeld(known, message.messageId, this.holds.hold('candidate', message, message.negotiationId ?? known.negotiationId)) };
  }

  /** The timeline entry of a new negotiation: one that says why, on an accepted call. */
  private timelineOf(call: CallRow, socket: AppSocket, reason: OfferReason | undefined): NegotiationStart['timeline'] {
    const user = socket.data.user;
    const answered = call.state === 'accepted' || call.state === 'connected';
    return reason && answered ? { type: REASON_EVENTS[reason], actor: { id: user.id, name: user.displayName } } : null;
  }

  /**
   * Remembers that the call's new negotiation is being stored on this node until `stored`
   * settles, then whether it was; `notStored` runs first when it was not.
   */
  private startingUntil(callId: string, stored: Promise<void>, notStored: () => void): void {
    const settled = stored.then(
      () => true,
      () => {
        notStored();
        return false;
      },
    );
    this.starting.set(callId, settled);
    void settled.then(() => {
      if (this.starting.get(callId) === settled) this.starting.delete(callId);
    });
  }

  /**
   * The stored call, for a message of `negotiationId` (undefined: any). An offer is relayed
   * before its negotiation is stored, so the other party may answer it first: a start in hand
   * on this node is waited for; across nodes, one this node does not know (the stored call
   * still says another negotiation) is read again a few times, up to
   * {@link NEGOTIATION_WAITS_MS}, before the message counts as stale — only for a sender
   * `mayWait` says is a party of the call (the callers that pass none checked that before).
   */
  private async storedCall(callId: string, negotiationId: string | undefined, mayWait: (call: CallRow) => boolean = () => true): Promise<CallRow | undefined> {
    await this.starting.get(callId);
    let call = await this.records.get(callId);
    // On one node the stored call is final once this node's start is; a negotiation this node saw replaced is stale.
    if (!this.rooms.spanNodes || (negotiationId !== undefined && this.cache.get(callId)?.replaced.includes(negotiationId))) return call;
    for (const wait of NEGOTIATION_WAITS_MS) {
      if (negotiationId === undefined || !call || call.state === 'ended' || call.negotiation_id === negotiationId || !mayWait(call)) break;
      await pause(wait);
      call = await this.records.get(callId);
    }
    return call;
  }

  /** What this node knows of the call's signaling, read from `call` or the database when it knows nothing. */
  private async signalingOf(callId: string, call: CallRow | null): Promise<CallSignaling> {
    const known = this.cache.get(callId);
    if (known) return known;
    const row = call ?? (await this.records.get(callId));
    if (!row || row.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    return this.cache.set(callId, row.negotiation_id, row.state === 'connected');
  }

  /**
   * Refuses a message of another negotiation than the call's current one. The cache may be
   * behind (the caller re-offered through another node): before refusing, the stored
   * negotiation is read again.
   */
  private async checkNegotiation(callId: string, known: CallSignaling, negotiationId: string | undefined, side: 'caller' | 'answerer' = 'answerer'): Promise<void> {
    if (negotiationId === undefined) return;
    // The negotiation this node is storing (its offer relayed already) is the current one for
    // the answering side's messages too: they are relayed at once and held once it is stored
    // ({@link negotiationStored}). One this node does not know may be behind the start in
    // hand: waited for before it is judged. The caller's own candidates go on (held after the
    // offer, in order).
    if (side === 'answerer' && negotiationId !== known.negotiationId) await this.starting.get(callId);
    if (known.negotiationId === null || negotiationId === known.negotiationId) return;
    const row = await this.storedCall(callId, negotiationId);
    if (!row || row.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    this.cache.replace(known, row.negotiation_id);
    if (negotiationId !== row.negotiation_id) throw new ProblemException('stale_negotiation', STALE);
  }

  /**
   * Before the answering side's message of `negotiationId` is held: waits until the negotiation
   * this node is storing is stored, so nothing is held for one that is then not stored.
   *
   * @throws ProblemException stale_negotiation when it was not stored (the call ended, or the
   *   write failed): the message went out, but is refused
   */
  private async negotiationStored(callId: string, known: CallSignaling, negotiationId: string | undefined): Promise<void> {
    const storing = this.starting.get(callId);
    if (!storing) return;
    const stored = await storing;
    if (!stored || (negotiationId !== undefined && known.negotiationId !== negotiationId)) throw new ProblemException('stale_negotiation', STALE);
  }

  /** Where the caller's messages go: the ringing agent's tabs, and the socket that accepted. */
  private agentSide(callId: string): Broadcast {
    return this.rooms.toRooms([callRingingRoom(callId), callAgentRoom(callId)]);
  }

  /** A message whose handling failed is not a repeat when it is sent again. */
  private forgetIfNotHeld(known: CallSignaling, messageId: string, work: Promise<void>): Promise<void> {
    return work.catch((err: unknown) => {
      known.seen.delete(messageId);
      throw err;
    });
  }

  /** Runs the call's messages one after another, in arrival order. */
  private inLane<T>(callId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(callId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.lanes.set(callId, settled);
    void settled.then(() => {
      if (this.lanes.get(callId) === settled) this.lanes.delete(callId);
    });
    return next;
  }

  /**
   * The call, if the socket's user may signal for it as `side`. Anyone else gets `forbidden`
   * whether or not the call exists; a party of a call that is over gets `invalid_state`.
   */
  private async callOf(socket: AppSocket, callId: string, side: 'caller' | 'agent' | 'either'): Promise<CallRow> {
    const senderId = socket.data.user.id;
    const call = await this.records.get(callId);
    const isCaller = call !== undefined && offererOf(call) === senderId;
    const isAgent = call !== undefined && answererOf(call) === senderId && (call.state === 'accepted' || call.state === 'connected' || call.state === 'ended');
    const allowed = side === 'caller' ? isCaller : side === 'agent' ? isAgent : isCaller || isAgent;
    if (!call || !allowed) throw new ProblemException('forbidden', NOT_A_PARTY);
    if (call.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    return call;
  }
}

/**
 * The user whose tab offers the call's media: the student who called (inbound), or the agent
 * calling back (outbound). The relay's "caller" side is this party.
 */
export function offererOf(call: Pick<CallRow, 'direction' | 'caller_id' | 'agent_id'>): string {
  return call.direction === 'outbound' ? (call.agent_id ?? '') : call.caller_id;
}

/** The user whose tab answers the call's media: the agent who accepted (inbound), or the student called back (outbound). */
export function answererOf(call: Pick<CallRow, 'direction' | 'caller_id' | 'agent_id'>): string | null {
  return call.direction === 'outbound' ? call.caller_id : call.agent_id;
}

/** Refuses (`stale_negotiation`) a message of another negotiation than `current`, the call's stored one (none yet: any). */
export function requireCurrentNegotiation(negotiationId: string | undefined, current: string | null): void {
  if (negotiationId !== undefined && current !== null && negotiationId !== current) throw new ProblemException('stale_negotiation', STALE);
}

/** Waits for a relayed message's hold to be stored. */
function held({ stored }: { stored: Promise<void> }): Promise<void> {
  return stored;
}
