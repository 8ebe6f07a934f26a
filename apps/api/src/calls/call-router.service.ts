import { Injectable, Logger } from '@nestjs/common';
import { durationsOf, planOffers, type AcceptedCall, type AnswerMessage, type CallOffer, type OfferWithdrawnReason, type QueuePosition, type SessionUser, NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { isUniqueViolation } from '../database/database-errors';
import type { AgentPresenceRow, CallRow, DeadlineRow } from '../database/schema';
import { newCallId } from '../database/time-ordered-ids';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence, routingAgentOf } from './agent-presence.service';
import { CallMediaHolders } from './call-media-holders';
import { callAgentRoom, callCallerRoom, callCallerTabRoom, callRingingRoom } from './call-parties';
import { CallRecords } from './call-records';
import { secondsAfter } from './deadlines';
import { CallLedger, type AgentMove, type EventActor, type LedgerTransaction } from './ledger/call-ledger';
import { QueuePositions } from './queue-positions';
import { requireCurrentNegotiation, SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { NodeDrainState } from '../health/node-drain-state';

const IN_PROGRESS = 'You already have a call in progress';
/** Why a draining node refuses a new call (the portal may simply try again: it reconnects to another node). */
export const NODE_DRAINING_MESSAGE = 'This server is restarting; please try again in a moment';

/**
 * The queue and routing: places calls, offers the oldest waiting call to the longest-idle
 * Available agent, and handles accept, decline and ring-out, each as one ledger transaction.
 * Routing itself ({@link dispatch}) runs as a reaction to the ledger's events (a call queued
 * or back in line, an agent Available), one pass at a time per node; across nodes,
 * conditional moves make sure a call rings at one agent at a time. A call placed while nobody
 * else waits and an agent is free rings in the transaction that places it (what routing would
 * do next, sooner: the call rings before the caller has its ack).
 */
@Injectable()
export class CallRouter {
  private readonly logger = new Logger('CallRouter');
  private tail: Promise<void> = Promise.resolve();
  private next: Promise<void> | null = null;

  constructor(
    private readonly ledger: CallLedger,
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly rooms: SocketRooms,
    private readonly signals: SignalRelay,
    private readonly positions: QueuePositions,
    private readonly drain: NodeDrainState,
    private readonly holders: CallMediaHolders,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Puts the student's call in the queue and, when nobody else waits and an agent is free, rings
   * that agent in the same transaction ({@link ringAtOnce}); otherwise routing follows as a
   * reaction. With no agent signed in and working, no call is created: the student is told at once.
   */
  async requestCall(caller: SessionUser, socket: AppSocket): Promise<QueuePosition> {
    if (this.drain.draining) throw new ProblemException('unavailable', NODE_DRAINING_MESSAGE);
    const callId = newCallId();
    let queuedAt: string;
    try {
      queuedAt = await this.ledger.run(async (tx) => {
        this.signals.callPlacing(callId);
        const call: CallRow = { ...emptyCall(), id: callId, state: 'queued', caller_id: caller.id, caller_name: caller.displayName, queued_at: tx.nowIso };
        await tx.insertCall(call);
        await tx.addEvent(callId, 'queued', { id: caller.id, name: caller.displayName }, null, tx.deadlines.scheduling('max_wait', callId, secondsAfter(tx.now, this.config.calls.maxWaitSeconds)));
        tx.publish({ type: 'callQueued', callId, callerId: caller.id });
        // A call that rings at once has its agent; one that waits needs someone working, or it
        // is not placed (undone with the transaction): read only then, not before every placing.
        if (!(await this.ringAtOnce(tx, call)) && !(await this.presence.anyStaffed(tx.db))) throw new ProblemException('no_agents_available', NO_AGENTS_MESSAGE);
        return call.queued_at;
      });
    } catch (err) {
      // One call in progress per caller: another tab or node placed this caller's call (the
      // unique index on `calls` refused this one), or it waits while nobody works.
      if (isUniqueViolation(err)) throw new ProblemException('conflict', IN_PROGRESS);
      throw err;
    } finally {
      // Its events were delivered (a ring with them) before the ledger returned.
      this.signals.placingOver(callId);
    }
    // The asking socket signals next: it is in the call's caller room before the ack, and
    // holds the call's media (another tab of the student cannot take it up while it does).
    await socket.join([callCallerRoom(callId), callCallerTabRoom(callId)]);
    this.signals.callPlaced(callId);
    return (await this.positions.ofPlaced(callId, queuedAt)) ?? { callId, position: 1, estimatedWaitSeconds: null };
  }

  /** Offers waiting calls to free agents; safe to call any time, from anywhere. */
  dispatch(): Promise<void> {
    if (this.next) return this.next;
    const run = this.tail
      .then(() => {
        this.next = null;
        return this.dispatchOnce();
      })
      .catch((err: unknown) => this.logger.error({ msg: 'routing failed', error: String(err) }));
    this.next = run;
    this.tail = run;
    return run;
  }

  /** The agent takes the call ringing at them; the loser of a race gets `conflict`. */
  async acceptCall(agent: SessionUser, socket: AppSocket, callId: string, answer?: AnswerMessage): Promise<AcceptedCall> {
    // A socket the call rang at got the held offer and candidates with the ring (if that re-send
    // did not fail) and every later one live; on one node nothing came between (across nodes a
    // message relayed elsewhere just before the ring may have missed it): the held ones are sent
    // again only where that may be.
    const heardEverything = !this.rooms.spanNodes && socket.rooms.has(callRingingRoom(callId)) && (await this.signals.takeRingGotHeld(callId));
    const offer = await this.ledger.run(async (tx) => {
      const call = await tx.callAndAgent(callId);
      if (!call) throw new ProblemException('not_found', 'There is no such call');
      if (call.state !== 'ringing' || call.ringing_agent_id !== agent.id) throw new ProblemException('conflict', whyNotAccepted(call, agent.id));
      // An answer to another offer than the call's current one is refused before anything changes.
      if (answer) requireCurrentNegotiation(answer.negotiationId, call.negotiation_id);
      const actor = { id: agent.id, name: agent.displayName };
      const { queueMs } = durationsOf({ queuedAt: call.queued_at, answeredAt: tx.nowIso, connectedAt: null }, tx.nowIso);
      await tx.moveCall(
        call,
        'accepted',
        {
          agent_id: agent.id,
          agent_name: agent.displayName,
          answered_at: tx.nowIso,
          ringing_agent_id: null,
          queue_ms: queueMs,
        },
        { ringing_agent_id: agent.id },
      );
      await tx.requireAgentMove(agent.id, { to: 'on_call', by: 'agent', reason: 'accepted', byUserId: agent.id, callId, set: { call_id: callId } });
      await tx.addEvent(callId, 'accepted', actor, null, ...tx.deadlines.replacing(callId, ['ring_timeout', 'max_wait'], 'media_timeout', secondsAfter(tx.now, this.config.calls.mediaTimeoutSeconds)));
      tx.publish({ type: 'offerWithdrawn', callId, agentId: agent.id, reason: 'taken_elsewhere', exceptSocketId: socket.id });
      tx.publish({ type: 'callAccepted', callId, callerId: call.caller_id, agent: { id: agent.id, displayName: agent.displayName }, socketId: socket.id, answeredAt: tx.nowIso, queueMs });
      return { callId, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt: call.rings_out_at ?? tx.nowIso } satisfies CallOffer;
    });
    if (!heardEverything) await this.signals.resendHeld(callId, this.rooms.to(socket.id));
    if (!answer) return offer;
    // The answer made while the call rang: handled as the `sendAnswer` that would follow.
    try {
      await this.signals.relayAnswer(socket, answer);
      return { ...offer, answerRelayed: true };
    } catch (err) {
      // The call is accepted all the same: without `answerRelayed` the agent sends its answer itself.
      this.logger.warn({ msg: 'answer sent with the accept not relayed', callId, error: err instanceof Error ? err.message : String(err) });
      return offer;
    }
  }

  /**
   * The agent refuses the call: it goes back in line (same place) for the next agent; it rings
   * the decliner again only when no other agent is free, and not within a ring timeout.
   */
  async declineCall(agent: SessionUser, callId: string): Promise<void> {
    await this.ledger.run(async (tx) => {
      const call = await tx.call(callId);
      if (!call || call.state !== 'ringing' || call.ringing_agent_id !== agent.id) throw new ProblemException('conflict', 'This call is not ringing for you');
      await this.requeue(tx, call, agent.id, 'declined', { id: agent.id, name: agent.displayName }, null, 'declined');
      await tx.moveAgent(agent.id, { to: 'available', by: 'agent', reason: 'declined', byUserId: agent.id, callId });
    });
  }

  /**
   * Deadline (`ring_timeout`, its subject the call): the agent goes Missed and the call goes to
   * the next agent. On a call back in the queue it is the end of a decliner's cool-down: routing
   * runs, so the call may ring them again.
   */
  async ringOut(deadline: DeadlineRow): Promise<void> {
    const callId = deadline.subject_id;
    const cooledDown = await this.ledger.runDeadline(deadline, async (tx) => {
      const call = await tx.call(callId);
      if (call?.state === 'queued') return true;
      if (!call || call.state !== 'ringing' || !call.ringing_agent_id || !call.rings_out_at || call.rings_out_at > tx.nowIso) return false;
      const agentId = call.ringing_agent_id;
      const name = (await tx.agent(agentId))?.display_name ?? agentId;
      await this.requeue(tx, call, agentId, 'missed', { id: agentId, name }, `missed by ${name}`, 'rang_out');
      await tx.moveAgent(agentId, { to: 'missed', by: 'system', reason: 'rang out', callId });
      return false;
    });
    if (cooledDown) await this.dispatch();
  }

  /** In a ledger transaction: the ringing agent's connection is gone for good; the call goes to the next agent. */
  async withdrawFromLostAgent(tx: LedgerTransaction, call: CallRow, agentId: string, agentName: string): Promise<void> {
    await this.requeue(tx, call, agentId, 'missed', { id: agentId, name: agentName }, `connection lost: ${agentName}`, 'ended');
  }

  /** Re-sends the ringing offer (and held signaling) to an agent's reconnected socket. */
  async resendOffer(socket: AppSocket, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || call.state !== 'ringing' || call.ringing_agent_id !== socket.data.user.id || !call.rings_out_at) return;
    await socket.join(callRingingRoom(callId));
    socket.emit('callOffered', { callId, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt: call.rings_out_at });
    await this.signals.resendHeld(callId, this.rooms.to(socket.id));
  }

  /**
   * Puts an agent's reconnected socket back on the call it accepted (when no other tab of
   * theirs holds it), so the caller's later signaling reaches it; before media connects it also
   * gets the held offer and candidates again (the portal's inbox drops repeats). A page whose
   * socket merely reconnected keeps its peer connection and carries on; a reloaded page cannot
   * resume the old one, and the call ends as for any lost media (a party reports `failed` or
   * hangs up; the media timeout).
   */
  async rejoinCall(socket: AppSocket, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    const outbound = call?.direction === 'outbound';
    if (!call || call.agent_id !== socket.data.user.id || (call.state !== 'accepted' && call.state !== 'connected' && !(outbound && call.state === 'ringing'))) return;
    // The agent's side of the media: the one that answers, or on a callback the one that offers.
    const room = outbound ? callCallerRoom(callId) : callAgentRoom(callId);
    // Another tab that still holds the call's media keeps it; this one is just another tab.
    if (!(await this.holders.take(socket, callId, room))) return;
    if (call.state === 'accepted') await (outbound ? this.signals.resendAnswerHeld(callId, this.rooms.to(socket.id)) : this.signals.resendHeld(callId, this.rooms.to(socket.id)));
  }

  private async dispatchOnce(): Promise<void> {
    const calls = await this.records.queuedForRouting();
    if (calls.length === 0) return;
    // Each call goes to the longest-idle free agent who has not passed on it, so with no passes
    // the first agents in that order, one per call, are all the plan can pick; an agent who
    // passed may still be picked after the others (`planOffers`), from anywhere in the line.
    const passed = calls.some((c) => c.passes.length > 0);
    const agents = await this.presence.offerable(passed ? undefined : calls.length);
    const clock = { now: new Date().toISOString(), declineCooldownMs: this.config.calls.ringTimeoutSeconds * 1000 };
    for (const { callId, agentId } of planOffers(calls, agents, clock)) await this.offer(callId, agentId);
  }

  /** Rings `agentId` with the queued call (both moves, or neither). */
  private async offer(callId: string, agentId: string): Promise<void> {
    await this.ledger.run(async (tx) => {
      const call = await tx.call(callId);
      if (call?.state !== 'queued') return;
      await this.ring(tx, call, agentId);
    });
  }

  /**
   * In the transaction placing `call`: routing's offer made at once, when nobody else is
   * queued (they come first: routing's reaction places this call after them) and an agent is
   * free — the longest idle. The call then rings before the caller's ack, so the caller's offer,
   * sent right after, is relayed live instead of waiting for the ring; and it costs one
   * transaction and routing's reads fewer. Otherwise the call waits for routing. Whether it rang.
   */
  private async ringAtOnce(tx: LedgerTransaction, call: CallRow): Promise<boolean> {
    const free = await this.presence.freeForPlacement(call.id, tx.db);
    if (!free) return false;
    tx.readAgent(free);
    const agents = [routingAgentOf(free)];
    const clock = { now: tx.nowIso, declineCooldownMs: this.config.calls.ringTimeoutSeconds * 1000 };
    const [planned] = planOffers([{ callId: call.id, queuedAt: call.queued_at, passes: [] }], agents, clock);
    return planned !== undefined && (await this.ring(tx, call, planned.agentId, 'if still free'));
  }

  /**
   * In a ledger transaction: rings `agentId` with the queued `call`, if the agent is free (both
   * moves, or neither): whether it rang. `'if still free'`: the agent's move comes first and is
   * not required — a concurrent transaction that rang them since leaves the call queued (for
   * routing) instead of running the whole transaction again (placing a call must not fail on
   * another's ring).
   */
  private async ring(tx: LedgerTransaction, call: CallRow, agentId: string, mode: 'required' | 'if still free' = 'required'): Promise<boolean> {
    // An agent who is no longer free is simply not rung (not a race to retry).
    const agentNow = await tx.agentAsRead(agentId);
    if (agentNow?.state !== 'available' || agentNow.connected !== 1) return false;
    const ringsOutAt = secondsAfter(tx.now, this.config.calls.ringTimeoutSeconds).toISOString();
    const move: AgentMove = { to: 'ringing', by: 'system', reason: 'offered', requireConnected: true, set: { call_id: call.id } };
    const ringing = { ringing_agent_id: agentId, rings_out_at: ringsOutAt };
    let agent: AgentPresenceRow;
    if (mode === 'if still free') {
      const moved = await tx.moveAgent(agentId, move);
      if (!moved) return false;
      agent = moved;
      await tx.moveCall(call, 'ringing', ringing);
    } else {
      await tx.moveCall(call, 'ringing', ringing);
      agent = await tx.requireAgentMove(agentId, move);
    }
    await tx.addEvent(call.id, 'offered', { id: agentId, name: agent.display_name }, null, tx.deadlines.scheduling('ring_timeout', call.id, new Date(ringsOutAt)));
    tx.publish({ type: 'callOffered', agentId, offer: { callId: call.id, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt } });
    return true;
  }

  /** In a ledger transaction: puts a ringing call back in line, records why, and withdraws the offer. */
  private async requeue(tx: LedgerTransaction, call: CallRow, agentId: string, type: 'declined' | 'missed', actor: EventActor, detail: string | null, reason: OfferWithdrawnReason): Promise<void> {
    await tx.moveCall(call, 'queued', { ringing_agent_id: null, rings_out_at: null }, { ringing_agent_id: agentId, rings_out_at: call.rings_out_at });
    await tx.deadlines.cancel(call.id, 'ring_timeout');
    await tx.addEvent(call.id, type, actor, detail);
    // The decliner may be offered the call again after a cool-down of one ring timeout (if nobody
    // else took it): this call's ring_timeout row, now on a queued call, re-runs routing then.
    if (type === 'declined') await tx.deadlines.schedule('ring_timeout', call.id, secondsAfter(tx.now, this.config.calls.ringTimeoutSeconds));
    tx.publish({ type: 'offerWithdrawn', callId: call.id, agentId, reason });
    tx.publish({ type: 'callRequeued', callId: call.id, callerId: call.caller_id, declined: type === 'declined' });
  }
}

/** Why `agentId` cannot accept the call as it stands. */
function whyNotAccepted(call: CallRow | undefined, agentId: string): string {
  if (call?.agent_id === agentId) return 'You already accepted this call in another tab';
  if (call?.state === 'ended') return 'The call has ended';
  if (call?.agent_id) return 'Another agent took this call';
  return 'This call is no longer offered to you';
}

/** A call row (inbound) with every optional column empty. */
export function emptyCall(): Omit<CallRow, 'id' | 'state' | 'caller_id' | 'caller_name' | 'queued_at'> {
  return {
    direction: 'inbound',
    callback_id: null,
    poor_quality: 0,
    sort_pending: 0,
    outcome: null,
    agent_id: null,
    agent_name: null,
    ringing_agent_id: null,
    rings_out_at: null,
    answered_at: null,
    connected_at: null,
    ended_at: null,
    ended_by: null,
    end_reason: null,
    queue_ms: null,
    talk_ms: null,
    wrap_up_ms: null,
    disposition: null,
    notes: null,
    negotiation_id: null,
  };
}
