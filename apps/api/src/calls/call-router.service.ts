import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import {
  durationsOf,
  estimateWaitSeconds,
  planOffers,
  queuePosition,
  type CallOffer,
  type OfferWithdrawnReason,
  type QueuePosition,
  type SessionUser,
  NO_AGENTS_MESSAGE,
} from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence } from './agent-presence.service';
import { CallRecords, isUniqueViolation } from './call-records';
import { Deadlines, secondsAfter } from './deadlines';
import { QueueFeed } from './queue-feed.service';
import { SignalRelay } from './signal-relay.service';
import { callAgentRoom, SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * The queue and routing: places calls, offers the oldest waiting call to the longest-idle
 * Available agent, and handles accept, decline and ring-out. Routing runs one pass at a time
 * per node; across nodes, conditional updates make sure a call rings at one agent at a time.
 */
@Injectable()
export class CallRouter {
  private readonly logger = new Logger('CallRouter');
  private tail: Promise<void> = Promise.resolve();
  private next: Promise<void> | null = null;

  constructor(
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly deadlines: Deadlines,
    private readonly rooms: SocketRooms,
    private readonly signals: SignalRelay,
    private readonly queueFeed: QueueFeed,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Puts the student's call in the queue and offers it if an agent is free. With no agent
   * signed in and working, no call is created: the student is told at once.
   */
  async requestCall(caller: SessionUser): Promise<QueuePosition> {
    if ((await this.records.activeOfCaller(caller.id)).length > 0) {
      throw new ProblemException('conflict', 'You already have a call in progress');
    }
    if (!(await this.presence.anyStaffed())) throw new ProblemException('no_agents_available', NO_AGENTS_MESSAGE);
    const now = new Date();
    const call: CallRow = {
      ...emptyCall(),
      id: randomUUID(),
      state: 'queued',
      caller_id: caller.id,
      caller_name: caller.displayName,
      queued_at: now.toISOString(),
    };
    try {
      await this.records.insert(call);
    } catch (err) {
      // Another tab or node placed this caller's call meanwhile: one active call per caller (unique index).
      if (isUniqueViolation(err)) throw new ProblemException('conflict', 'You already have a call in progress');
      throw err;
    }
    await this.records.addEvent(call.id, 'queued', { id: caller.id, name: caller.displayName });
    await this.deadlines.schedule('max_wait', call.id, secondsAfter(now, this.config.calls.maxWaitSeconds));
    this.queueFeed.announce();
    await this.dispatch();
    return (await this.position(call.id)) ?? { callId: call.id, position: 1, estimatedWaitSeconds: null };
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
  async acceptCall(agent: SessionUser, socket: AppSocket, callId: string): Promise<CallOffer> {
    const call = await this.records.get(callId);
    if (!call) throw new ProblemException('not_found', 'There is no such call');
    const now = new Date();
    const answeredAt = now.toISOString();
    const won = await this.records.update(
      callId,
      ['ringing'],
      {
        state: 'accepted',
        agent_id: agent.id,
        agent_name: agent.displayName,
        answered_at: answeredAt,
        ringing_agent_id: null,
        queue_ms: durationsOf({ queuedAt: call.queued_at, answeredAt, connectedAt: null }, answeredAt).queueMs,
      },
      { ringingAgentId: agent.id },
    );
    if (!won) throw new ProblemException('conflict', await this.whyNotAccepted(callId, agent.id));
    await this.presence.move(agent.id, { to: 'on_call', by: 'agent', reason: 'accepted', byUserId: agent.id, callId, set: { call_id: callId } });
    await this.deadlines.cancel(callId, 'ring_timeout', 'max_wait');
    await this.deadlines.schedule('media_timeout', callId, secondsAfter(now, this.config.calls.mediaTimeoutSeconds));
    await this.records.addEvent(callId, 'accepted', { id: agent.id, name: agent.displayName });
    await socket.join(callAgentRoom(callId));
    this.rooms.toUser(call.caller_id).emit('callAccepted', { callId, agent: { id: agent.id, displayName: agent.displayName } });
    this.rooms.toUser(agent.id).except(socket.id).emit('offerWithdrawn', { callId, reason: 'taken_elsewhere' });
    await this.signals.resendHeld(callId, this.rooms.to(socket.id));
    await this.publishQueue();
    return { callId, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt: call.rings_out_at ?? answeredAt };
  }

  /**
   * The agent refuses the call: it goes back in line (same place) for the next agent; it rings
   * the decliner again only when no other agent is free, and not within a ring timeout.
   */
  async declineCall(agent: SessionUser, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || call.state !== 'ringing' || call.ringing_agent_id !== agent.id) {
      throw new ProblemException('conflict', 'This call is not ringing for you');
    }
    const requeued = await this.requeue(call, agent.id, 'declined', { id: agent.id, name: agent.displayName }, null, 'declined');
    if (!requeued) throw new ProblemException('conflict', 'This call is not ringing for you');
    await this.presence.move(agent.id, { to: 'available', by: 'agent', reason: 'declined', byUserId: agent.id, callId });
    this.rooms.toUser(call.caller_id).emit('callDeclined', { callId });
    await this.dispatch();
  }

  /**
   * Ring timeout: the agent goes Missed and the call goes to the next agent. On a call back in
   * the queue it is the end of a decliner's cool-down: routing runs, so the call may ring them again.
   */
  async ringOut(callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (call?.state === 'queued') return this.dispatch();
    if (!call || call.state !== 'ringing' || !call.ringing_agent_id || !call.rings_out_at || call.rings_out_at > new Date().toISOString()) return;
    const agentId = call.ringing_agent_id;
    const agent = await this.presence.get(agentId);
    const name = agent?.display_name ?? agentId;
    if (!(await this.requeue(call, agentId, 'missed', { id: agentId, name }, `missed by ${name}`, 'rang_out'))) return;
    await this.presence.move(agentId, { to: 'missed', by: 'system', reason: 'rang out', callId });
    await this.dispatch();
  }

  /** The ringing agent's connection is gone for good: the call goes to the next agent. */
  async withdrawFromLostAgent(call: CallRow, agentId: string, agentName: string): Promise<void> {
    if (await this.requeue(call, agentId, 'missed', { id: agentId, name: agentName }, `connection lost: ${agentName}`, 'ended')) await this.dispatch();
  }

  /** Re-sends the ringing offer (and held signaling) to an agent's reconnected socket. */
  async resendOffer(socket: AppSocket, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || call.state !== 'ringing' || call.ringing_agent_id !== socket.data.user.id || !call.rings_out_at) return;
    socket.emit('callOffered', { callId, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt: call.rings_out_at });
    await this.signals.resendHeld(callId, this.rooms.to(socket.id));
  }

  /**
   * Puts an agent's reconnected socket back on the call it accepted (when no other tab of
   * theirs holds it), so the caller's later
   * signaling reaches it; before media connects it also gets the held offer and candidates
   * again (the portal's inbox drops repeats). A page whose socket merely reconnected keeps its
   * peer connection and carries on; a reloaded page cannot resume the old one, and the call
   * ends as for any lost media (a party reports `failed` or hangs up; the media timeout).
   */
  async rejoinCall(socket: AppSocket, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || call.agent_id !== socket.data.user.id || (call.state !== 'accepted' && call.state !== 'connected')) return;
    // Another tab that still holds the call's media keeps it; this one is just another tab.
    if (await this.rooms.isOccupied(callAgentRoom(callId))) return;
    await socket.join(callAgentRoom(callId));
    if (call.state === 'accepted') await this.signals.resendHeld(callId, this.rooms.to(socket.id));
  }

  /** Where a waiting call stands, or null if it is not waiting. */
  async position(callId: string): Promise<QueuePosition | null> {
    const waiting = await this.records.waiting();
    const position = queuePosition(waiting.map((c) => ({ callId: c.id, queuedAt: c.queued_at })), callId);
    if (position === null) return null;
    return { callId, position, estimatedWaitSeconds: estimateWaitSeconds(await this.records.recentQueueMs(), position) };
  }

  /** Tells every waiting caller where they stand, and supervisors the queue. */
  async publishQueue(): Promise<void> {
    this.queueFeed.announce();
    const waiting = await this.records.waiting();
    const recent = await this.records.recentQueueMs();
    waiting.forEach((call, index) => {
      this.rooms.toUser(call.caller_id).emit('queueUpdated', { callId: call.id, position: index + 1, estimatedWaitSeconds: estimateWaitSeconds(recent, index + 1) });
    });
  }

  private async dispatchOnce(): Promise<void> {
    const calls = await this.records.queuedForRouting();
    if (calls.length === 0) return;
    const agents = await this.presence.offerable();
    let offered = false;
    const clock = { now: new Date().toISOString(), declineCooldownMs: this.config.calls.ringTimeoutSeconds * 1000 };
    for (const { callId, agentId } of planOffers(calls, agents, clock)) offered = (await this.offer(callId, agentId)) || offered;
    if (offered) await this.publishQueue();
  }

  private async offer(callId: string, agentId: string): Promise<boolean> {
    const now = new Date();
    const ringsOutAt = secondsAfter(now, this.config.calls.ringTimeoutSeconds);
    if (!(await this.records.update(callId, ['queued'], { state: 'ringing', ringing_agent_id: agentId, rings_out_at: ringsOutAt.toISOString() }))) return false;
    const agent = await this.presence.move(agentId, { to: 'ringing', by: 'system', reason: 'offered', requireConnected: true, set: { call_id: callId } });
    if (!agent) {
      await this.records.update(callId, ['ringing'], { state: 'queued', ringing_agent_id: null, rings_out_at: null }, { ringingAgentId: agentId });
      return false;
    }
    await this.deadlines.schedule('ring_timeout', callId, ringsOutAt);
    await this.records.addEvent(callId, 'offered', { id: agentId, name: agent.display_name });
    const call = await this.records.get(callId);
    if (!call) return false;
    this.rooms.toUser(agentId).emit('callOffered', { callId, caller: { id: call.caller_id, displayName: call.caller_name }, ringsOutAt: ringsOutAt.toISOString() });
    await this.signals.resendHeld(callId, this.rooms.toUser(agentId));
    return true;
  }

  /** Puts a ringing call back in line, records why, and withdraws the offer from the agent. */
  private async requeue(
    call: CallRow,
    agentId: string,
    type: 'declined' | 'missed',
    actor: { id: string; name: string },
    detail: string | null,
    reason: OfferWithdrawnReason,
  ): Promise<boolean> {
    const guard = { ringingAgentId: agentId, ...(call.rings_out_at ? { ringsOutAt: call.rings_out_at } : {}) };
    if (!(await this.records.update(call.id, ['ringing'], { state: 'queued', ringing_agent_id: null, rings_out_at: null }, guard))) return false;
    await this.deadlines.cancel(call.id, 'ring_timeout');
    await this.records.addEvent(call.id, type, actor, detail);
    // The decliner may be offered the call again after a cool-down of one ring timeout (if nobody
    // else took it): this call's ring_timeout row, now on a queued call, re-runs routing then.
    if (type === 'declined') await this.deadlines.schedule('ring_timeout', call.id, secondsAfter(new Date(), this.config.calls.ringTimeoutSeconds));
    this.rooms.toUser(agentId).emit('offerWithdrawn', { callId: call.id, reason });
    this.queueFeed.announce();
    return true;
  }

  private async whyNotAccepted(callId: string, agentId: string): Promise<string> {
    const call = await this.records.get(callId);
    if (call?.agent_id === agentId) return 'You already accepted this call in another tab';
    if (call?.state === 'ended') return 'The call has ended';
    if (call?.agent_id) return 'Another agent took this call';
    return 'This call is no longer offered to you';
  }
}

/** A call row with every optional column empty. */
function emptyCall(): Omit<CallRow, 'id' | 'state' | 'caller_id' | 'caller_name' | 'queued_at'> {
  return {
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
  };
}
