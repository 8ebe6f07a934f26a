import { Injectable } from '@nestjs/common';
import {
  describeEnd,
  durationsOf,
  outcomeOf,
  type CallbackRequestMessage,
  type CallEnded,
  type CallParty,
  type EndReason,
  type MediaReport,
  type SessionUser,
  type WrapUp,
} from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { AgentPresence } from './agent-presence.service';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { Deadlines, secondsAfter } from './deadlines';
import { QueueFeed } from './queue-feed.service';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * How calls end and what follows: cancel, hang-up, media reports, the maximum wait, the
 * media timeout, wrap-up and callback requests. Ending is one conditional UPDATE from the
 * state the call was read in, so a call ends once, with exactly one outcome.
 */
@Injectable()
export class CallCompletion {
  constructor(
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly deadlines: Deadlines,
    private readonly rooms: SocketRooms,
    private readonly router: CallRouter,
    private readonly queueFeed: QueueFeed,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The caller leaves the line or stops the ringing (abandoned); in a call, it hangs up. */
  async cancel(caller: SessionUser, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || call.caller_id !== caller.id) throw new ProblemException('forbidden', 'Only the caller may cancel a call');
    if (call.state === 'queued' || call.state === 'ringing') await this.endCall(call, 'cancelled', 'caller', caller);
    else if (call.state !== 'ended') await this.endCall(call, 'hung_up', 'caller', caller);
  }

  /** Either party ends the call; a caller still waiting cancels. Ending an ended call is a no-op. */
  async hangUp(user: SessionUser, callId: string): Promise<void> {
    const call = await this.records.get(callId);
    const party = partyOf(call, user.id);
    if (!call || !party) throw new ProblemException('forbidden', 'Only the parties of a call may hang up');
    if (call.state === 'ended') return;
    if (call.state === 'queued' || call.state === 'ringing') {
      if (party === 'caller') await this.endCall(call, 'cancelled', 'caller', user);
      return;
    }
    await this.endCall(call, 'hung_up', party, user);
  }

  /** A party's browser reports media connected (the call is answered) or failed (it ends). */
  async reportMedia(user: SessionUser, report: MediaReport): Promise<void> {
    const call = await this.records.get(report.callId);
    const party = partyOf(call, user.id);
    if (!call || !party || call.state === 'queued' || call.state === 'ringing') {
      throw new ProblemException('forbidden', 'Only the parties of an accepted call may report its media');
    }
    if (call.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    if (report.state === 'failed') {
      await this.endCall(call, 'media_failed', party, user);
      return;
    }
    if (call.state !== 'accepted') return;
    if (!(await this.records.update(call.id, ['accepted'], { state: 'connected', connected_at: new Date().toISOString() }))) return;
    await this.deadlines.cancel(call.id, 'media_timeout');
    await this.records.dropSignals(call.id);
    await this.records.addEvent(call.id, 'connected', { id: user.id, name: user.displayName });
    this.queueFeed.announce();
  }

  /** Deadline: nobody answered in time; the caller is told (and may ask for a callback). */
  async maxWaitReached(callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call || (call.state !== 'queued' && call.state !== 'ringing')) return;
    if (Date.parse(call.queued_at) + this.config.calls.maxWaitSeconds * 1000 > Date.now()) return;
    await this.endCall(call, 'max_wait', 'system', null);
  }

  /** Deadline: accepted, but media never connected. */
  async mediaTimedOut(callId: string): Promise<void> {
    const call = await this.records.get(callId);
    if (call?.state !== 'accepted' || !call.answered_at) return;
    if (Date.parse(call.answered_at) + this.config.calls.mediaTimeoutSeconds * 1000 > Date.now()) return;
    await this.endCall(call, 'media_failed', 'system', null);
  }

  /** The agent saves disposition and notes and returns to Available (a late save just saves). */
  async completeWrapUp(agent: SessionUser, wrapUp: WrapUp): Promise<void> {
    if (!this.config.calls.dispositions.includes(wrapUp.disposition)) {
      throw new ProblemException('bad_request', `disposition must be one of: ${this.config.calls.dispositions.join(', ')}`);
    }
    const call = await this.records.get(wrapUp.callId);
    if (!call || call.agent_id !== agent.id) throw new ProblemException('forbidden', 'Only the agent who took the call may wrap it up');
    if (call.state !== 'ended' || !call.ended_at) throw new ProblemException('invalid_state', 'The call is still in progress');
    const wrapUpMs = call.wrap_up_ms ?? Math.max(0, Date.now() - Date.parse(call.ended_at));
    const saved = await this.records.update(call.id, ['ended'], { disposition: wrapUp.disposition, notes: wrapUp.notes, wrap_up_ms: wrapUpMs }, { noDisposition: true });
    if (!saved) throw new ProblemException('conflict', 'This call’s wrap-up is already saved');
    await this.records.addEvent(call.id, 'wrap_up_saved', { id: agent.id, name: agent.displayName }, wrapUp.disposition);
    await this.deadlines.cancel(agent.id, 'wrap_up_end');
    const moved = await this.presence.move(agent.id, { to: 'available', by: 'agent', reason: 'wrap-up saved', byUserId: agent.id, onlyFrom: ['wrap_up'], callId: call.id });
    if (moved) await this.router.dispatch();
  }

  /** Deadline: wrap-up time ran out; the agent is Available again. */
  async wrapUpTimedOut(agentId: string): Promise<void> {
    const agent = await this.presence.get(agentId);
    if (agent?.state !== 'wrap_up' || !agent.wrap_up_ends_at || agent.wrap_up_ends_at > new Date().toISOString()) return;
    if (agent.call_id) await this.closeWrapUp(agent.call_id, 'wrap-up time ran out');
    const moved = await this.presence.move(agentId, { to: 'available', by: 'system', reason: 'wrap-up time ran out', callId: agent.call_id ?? undefined });
    if (moved) await this.router.dispatch();
  }

  /** Records the wrap-up time of a call whose wrap-up ends unsaved (timeout or sign-out). */
  async closeWrapUp(callId: string, detail: string): Promise<void> {
    const call = await this.records.get(callId);
    if (!call?.ended_at || call.wrap_up_ms !== null) return;
    const wrapUpMs = Math.max(0, Date.now() - Date.parse(call.ended_at));
    if (await this.records.update(callId, ['ended'], { wrap_up_ms: wrapUpMs }, { noDisposition: true })) {
      await this.records.addEvent(callId, 'wrap_up_saved', null, detail);
    }
  }

  /** The caller asks to be called back after an unanswered call (once per call). */
  async requestCallback(caller: SessionUser, request: CallbackRequestMessage): Promise<{ callbackId: string }> {
    const call = await this.records.get(request.callId);
    if (!call || call.caller_id !== caller.id) throw new ProblemException('forbidden', 'Only the caller may ask for a callback');
    if (call.outcome !== 'unanswered') throw new ProblemException('invalid_state', 'A callback can be requested only after a call nobody answered');
    const name = request.name ?? caller.displayName;
    const callbackId = await this.records.insertCallback({ callId: call.id, studentId: caller.id, name, note: request.note || null });
    if (!callbackId) throw new ProblemException('conflict', 'A callback is already requested for this call');
    await this.records.addEvent(call.id, 'callback_requested', { id: caller.id, name }, request.note || null);
    return { callbackId };
  }

  /**
   * Ends the call from the state it was read in, with its one outcome, and tells both sides:
   * a ringing agent's offer is withdrawn (they are Available again), an accepted agent goes to
   * wrap-up. False if the call had moved on meanwhile.
   */
  async endCall(call: CallRow, reason: EndReason, endedBy: CallParty, actor: SessionUser | null): Promise<boolean> {
    const endedAt = new Date();
    const outcome = outcomeOf({ state: call.state, reason, queuedAt: call.queued_at, endedAt: endedAt.toISOString(), shortAbandonSeconds: this.config.calls.shortAbandonSeconds });
    const { queueMs, talkMs } = durationsOf({ queuedAt: call.queued_at, answeredAt: call.answered_at, connectedAt: call.connected_at }, endedAt.toISOString());
    const ended = await this.records.update(call.id, [call.state], {
      state: 'ended',
      outcome,
      ended_at: endedAt.toISOString(),
      ended_by: endedBy,
      end_reason: reason,
      ringing_agent_id: null,
      queue_ms: queueMs,
      talk_ms: talkMs,
    });
    if (!ended) return false;
    const who = actor ? { id: actor.id, name: actor.displayName } : null;
    if (reason === 'cancelled') await this.records.addEvent(call.id, 'cancelled', who);
    if (reason === 'media_failed') await this.records.addEvent(call.id, 'media_failed', who);
    await this.records.addEvent(call.id, 'ended', who, describeEnd(outcome, reason, endedBy));
    await this.deadlines.cancel(call.id, 'ring_timeout', 'max_wait', 'media_timeout');
    await this.records.dropSignals(call.id);
    const notice: CallEnded = { callId: call.id, outcome, endedBy, reason };
    this.rooms.toUser(call.caller_id).emit('callEnded', notice);
    if (call.state === 'ringing' && call.ringing_agent_id) await this.withdrawOffer(call.id, call.ringing_agent_id, reason);
    if (call.agent_id) await this.startWrapUp(call.id, call.agent_id, endedAt, notice);
    await this.router.publishQueue();
    return true;
  }

  private async withdrawOffer(callId: string, agentId: string, reason: EndReason): Promise<void> {
    const cancelled = reason === 'cancelled' || reason === 'caller_left';
    this.rooms.toUser(agentId).emit('offerWithdrawn', { callId, reason: cancelled ? 'cancelled' : 'ended' });
    const moved = await this.presence.move(agentId, { to: 'available', by: 'system', reason: 'offer withdrawn', callId });
    if (moved) await this.router.dispatch();
  }

  private async startWrapUp(callId: string, agentId: string, endedAt: Date, notice: CallEnded): Promise<void> {
    this.rooms.toUser(agentId).emit('callEnded', notice);
    const endsAt = secondsAfter(endedAt, this.config.calls.wrapUpSeconds);
    const moved = await this.presence.move(agentId, { to: 'wrap_up', by: 'system', reason: 'call ended', callId, set: { wrap_up_ends_at: endsAt.toISOString() } });
    if (moved) await this.deadlines.schedule('wrap_up_end', agentId, endsAt);
  }
}

/** Which side of the call the user is on, if either. */
function partyOf(call: CallRow | undefined, userId: string): 'caller' | 'agent' | null {
  if (!call) return null;
  if (call.caller_id === userId) return 'caller';
  if (call.agent_id === userId) return 'agent';
  return null;
}
