import { Injectable, type OnModuleInit } from '@nestjs/common';
import { isStaffed } from '@switchboard/call-domain';
import { AgentPresence } from './agent-presence.service';
import { toAgentStatus } from './agent-status';
import { callAgentRoom, callCallerRoom, callCallerTabRoom, callRingingRoom } from './call-parties';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { CallbackRequestsService } from './callback-requests.service';
import { changesQueue, type LedgerEvent } from './ledger/ledger-events';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { QueueFeed } from './queue-feed.service';
import { QueuePositions } from './queue-positions';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms, userRoom } from './socket-rooms';

/**
 * What follows a committed move, wired to the ledger's events once at start-up:
 * - the parties and supervisors are told (socket events), and the call's rooms follow who may
 *   signal for it (its caller's tabs, the ringing agent's tabs, the socket that accepted);
 * - routing runs when a call is queued or back in line, or an agent is Available and connected;
 * - waiting callers whose place changed, and supervisors, get the queue.
 * Socket events go through the Socket.IO adapter, so they reach every node.
 */
@Injectable()
export class CallReactions implements OnModuleInit {
  constructor(
    private readonly outbox: LedgerOutbox,
    private readonly rooms: SocketRooms,
    private readonly router: CallRouter,
    private readonly relay: SignalRelay,
    private readonly queueFeed: QueueFeed,
    private readonly positions: QueuePositions,
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly callbacks: CallbackRequestsService,
  ) {}

  /** Subscribes the reactions to the ledger. */
  onModuleInit(): void {
    this.outbox.react((events) => {
      for (const event of events) this.notify(event);
      if (events.some(changesQueue)) {
        this.queueFeed.announce();
        this.positions.announce();
      } else if (events.some(changesStaffing)) {
        this.positions.announce();
      }
    });
    // Routing does not hold the delivery: a node that dies meanwhile routes again when it
    // starts (the deadline worker's first pass), and any later event routes too.
    this.outbox.react((events) => {
      if (events.some((event) => needsRouting(event, events))) void this.router.dispatch();
    });
    this.outbox.refreshStaleWith((events) => this.current(events));
    this.outbox.react(async (events) => {
      for (const event of events) {
        if (event.type === 'callOffered') await this.relay.resendHeldOnRing(event.offer.callId, this.rooms.toUser(event.agentId));
      }
    });
    // Agents and supervisors see a callback request as it is now (each changed one once per delivery).
    this.outbox.react(async (events) => {
      const changed = new Set(events.flatMap((e) => (e.type === 'callbackChanged' ? [e.callbackId] : [])));
      for (const id of changed) this.rooms.toQueueWatchers().emit('callbackChanged', await this.callbacks.get(id));
    });
  }

  /**
   * Events a dead node left undelivered, as they stand now: what has moved on since is not
   * announced again (no second ring of an offer already answered, no withdrawal of an offer
   * made again), and an agent's status is the current one.
   */
  private async current(events: readonly LedgerEvent[]): Promise<LedgerEvent[]> {
    const fresh: LedgerEvent[] = [];
    for (const event of events) {
      if (event.type === 'agentStatusChanged') {
        const row = await this.presence.get(event.status.agentId);
        if (row) fresh.push({ ...event, status: toAgentStatus(row) });
        continue;
      }
      if (event.type === 'callbackChanged') {
        fresh.push(event);
        continue;
      }
      const callId = event.type === 'callOffered' ? event.offer.callId : event.type === 'callEnded' ? event.notice.callId : event.callId;
      const call = await this.records.get(callId);
      const ringsAt = (agentId: string) => call?.state === 'ringing' && call.ringing_agent_id === agentId;
      if (event.type === 'callOffered' && !ringsAt(event.agentId)) continue;
      if (event.type === 'offerWithdrawn' && ringsAt(event.agentId)) continue;
      if (event.type === 'callAccepted' && !(call?.agent_id === event.agent.id && (call.state === 'accepted' || call.state === 'connected'))) continue;
      if (event.type === 'callQueued' && (!call || call.state === 'ended')) continue;
      if (event.type === 'callbackRinging' && call?.state !== 'ringing') continue;
      if (event.type === 'callbackAccepted' && call?.state !== 'accepted' && call?.state !== 'connected') continue;
      fresh.push(event);
    }
    return fresh;
  }

  private notify(event: LedgerEvent): void {
    switch (event.type) {
      case 'callQueued':
        this.rooms.join(userRoom(event.callerId), callCallerRoom(event.callId));
        return;
      case 'callOffered':
        this.rooms.join(userRoom(event.agentId), callRingingRoom(event.offer.callId));
        this.rooms.toUser(event.agentId).emit('callOffered', event.offer);
        return;
      case 'offerWithdrawn': {
        const agent = this.rooms.toUser(event.agentId);
        (event.exceptSocketId ? agent.except(event.exceptSocketId) : agent).emit('offerWithdrawn', { callId: event.callId, reason: event.reason });
        this.rooms.empty(callRingingRoom(event.callId));
        this.relay.ringEnded(event.callId);
        return;
      }
      case 'callRequeued':
        // Whatever the agent answered provisionally while it rang is void: the caller offers anew.
        this.relay.ringEnded(event.callId);
        this.rooms.toUser(event.callerId).emit('ringEnded', { callId: event.callId });
        if (event.declined) this.rooms.toUser(event.callerId).emit('callDeclined', { callId: event.callId });
        return;
      case 'callAccepted':
        if (event.answeredAt !== undefined && event.queueMs !== undefined) this.positions.answered({ callId: event.callId, answeredAt: event.answeredAt, queueMs: event.queueMs });
        this.rooms.join(event.socketId, callAgentRoom(event.callId));
        this.rooms.toUser(event.callerId).emit('callAccepted', { callId: event.callId, agent: event.agent });
        return;
      case 'callConnected':
        this.relay.mediaConnected(event.callId);
        return;
      case 'negotiationStarted':
        this.relay.negotiationStarted(event.callId, event.negotiationId);
        return;
      case 'callResumed':
        this.rooms.toUser(event.callerId).emit('callResumed', { callId: event.callId });
        return;
      case 'callEnded':
        this.rooms.toUser(event.callerId).emit('callEnded', event.notice);
        if (event.agentId) this.rooms.toUser(event.agentId).emit('callEnded', event.notice);
        for (const room of [callCallerRoom(event.notice.callId), callCallerTabRoom(event.notice.callId), callRingingRoom(event.notice.callId), callAgentRoom(event.notice.callId)]) this.rooms.empty(room);
        this.relay.callEnded(event.notice.callId);
        return;
      case 'agentStatusChanged':
        this.rooms.toUser(event.status.agentId).emit('agentStatusChanged', event.status);
        this.rooms.toSupervisors().emit('agentStatusChanged', event.status);
        return;
      case 'callbackRinging':
        // The agent's tab offers the media; the student's tabs ring (and collect the offer).
        this.rooms.join(event.socketId, callCallerRoom(event.callId));
        this.rooms.join(userRoom(event.call.student.id), callRingingRoom(event.callId));
        this.rooms.toUser(event.call.student.id).emit('callbackRinging', event.call);
        return;
      case 'callbackAccepted':
        this.rooms.join(event.socketId, callAgentRoom(event.callId));
        this.rooms.toUser(event.call.student.id).except(event.socketId).emit('offerWithdrawn', { callId: event.callId, reason: 'taken_elsewhere' });
        this.rooms.empty(callRingingRoom(event.callId));
        this.rooms.toUser(event.call.agent.id).emit('callbackAccepted', { callId: event.callId, student: event.call.student });
        return;
      case 'callbackChanged':
        return;
    }
  }
}

/**
 * Whether an agent's move may change whether anyone staffs the queue (what waiting callers are
 * told): a move between two staffed states (Available → Ringing → On call → Wrap-up) cannot;
 * a connection lost or back (the state unchanged) can.
 */
function changesStaffing(event: LedgerEvent): boolean {
  if (event.type !== 'agentStatusChanged') return false;
  return event.from === event.status.state || !(isStaffed(event.from) && isStaffed(event.status.state) && event.status.connected);
}

/** Whether routing may have something to do after this event (one of `events`, delivered together). */
function needsRouting(event: LedgerEvent, events: readonly LedgerEvent[]): boolean {
  // A call placed and rung in one transaction (`CallRouter.requestCall`) needs no routing.
  if (event.type === 'callQueued') return !events.some((e) => e.type === 'callOffered' && e.offer.callId === event.callId);
  if (event.type === 'callRequeued') return true;
  return event.type === 'agentStatusChanged' && event.status.state === 'available' && event.status.connected;
}
