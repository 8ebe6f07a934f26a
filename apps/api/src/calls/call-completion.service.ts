import { Injectable } from '@nestjs/common';
import {
  describeEnd,
  durationsOf,
  outcomeOf,
  type AgentStatus,
  type CallbackRequestMessage,
  type CallEnded,
  type CallRef,
  type CallParty,
  type EndReason,
  type MediaReport,
  type SessionUser,
  type WrapUp,
} from '@switchboard/call-domain';
import type { CallRow, DeadlineRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { toAgentStatus } from './agent-status';
import { CallRecords } from './call-records';
import { addCallbackEvent } from './callback-requests.service';
import { CALL_DEADLINES, secondsAfter } from './deadlines';
import { CallLedger, type LedgerTransaction } from './ledger/call-ledger';
import { SignalRelay } from './signal-relay.service';
import type { AppSocket } from '../realtime/app-socket';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/** How much later each "+30 s" of the agent moves the end of their wrap-up. */
export const WRAP_UP_EXTENSION_SECONDS = 30;

/** "2 minutes", "90 seconds": a limit in words. */
function formatSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

/**
 * How calls end and what follows: cancel, hang-up, media reports, the maximum wait, the
 * media timeout, wrap-up and callback requests, each one ledger transaction. Ending moves the
 * call from the state it was read in, with its one outcome, and the agent into wrap-up (or a
 * ringing agent back to Available) in the same transaction.
 */
@Injectable()
export class CallCompletion {
  constructor(
    private readonly ledger: CallLedger,
    private readonly records: CallRecords,
    private readonly relay: SignalRelay,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The caller leaves the line or stops the ringing (abandoned); in a call, it hangs up. */
  async cancel(caller: SessionUser, callId: string): Promise<void> {
    await this.ledger.run(async (tx) => {
      const call = await tx.callAndAgent(callId);
      // The caller's side of an outbound call (a callback) is its agent, who may give up while it rings.
      const party = call?.direction === 'outbound' ? (call.agent_id === caller.id ? 'agent' : null) : call?.caller_id === caller.id ? 'caller' : null;
      if (!call || !party) throw new ProblemException('forbidden', 'Only the caller may cancel a call');
      if (call.state === 'queued' || call.state === 'ringing') await this.endCall(tx, call, 'cancelled', party, caller);
      else if (call.state !== 'ended') await this.endCall(tx, call, 'hung_up', party, caller);
    });
  }

  /** Either party ends the call; a caller still waiting cancels. Ending an ended call is a no-op. */
  async hangUp(user: SessionUser, callId: string): Promise<void> {
    await this.ledger.run(async (tx) => {
      const call = await tx.callAndAgent(callId);
      const party = partyOf(call, user.id);
      if (!call || !party) throw new ProblemException('forbidden', 'Only the parties of a call may hang up');
      if (call.state === 'ended') return;
      if (call.state === 'queued' || call.state === 'ringing') {
        // Inbound: the caller cancels. Outbound (a callback): the agent gives up; the student declines.
        if (call.direction === 'outbound' && party === 'caller') await tx.addEvent(call.id, 'declined', { id: user.id, name: user.displayName });
        if (party === 'caller' || call.direction === 'outbound') await this.endCall(tx, call, 'cancelled', party, user);
        return;
      }
      await this.endCall(tx, call, 'hung_up', party, user);
    });
  }

  /** A party's browser (`socket`) reports media connected (the call is answered) or failed (it ends). */
  async reportMedia(user: SessionUser, report: MediaReport, socket: AppSocket): Promise<void> {
    // The second party's "connected" (or a repeat) changes nothing: answered without a
    // transaction — from what this node knows of the call when the socket is a party's (see
    // `mediaConnectedFor`), else from the stored call. A call only leaves Connected by ending.
    // Known not connected: the transaction below reads the call anyway.
    if (report.state === 'connected') {
      const known = this.relay.mediaConnectedFor(socket, report.callId);
      if (known === true) return;
      if (known === undefined) {
        const stored = await this.records.get(report.callId);
        if (stored?.state === 'connected' && partyOf(stored, user.id)) return;
      }
    }
    await this.ledger.run(async (tx) => {
      const call = await tx.call(report.callId);
      const party = partyOf(call, user.id);
      if (!call || !party || call.state === 'queued' || call.state === 'ringing') {
        throw new ProblemException('forbidden', 'Only the parties of an accepted call may report its media');
      }
      if (call.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
      if (report.state === 'failed') return this.endCall(tx, call, 'media_failed', party, user);
      if (call.state !== 'accepted') return;
      await tx.moveCall(call, 'connected', { connected_at: tx.nowIso });
      await tx.addEvent(call.id, 'connected', { id: user.id, name: user.displayName }, null, tx.deadlines.cancelling(call.id, 'media_timeout'), ...tx.droppingSignals(call.id));
      tx.publish({ type: 'callConnected', callId: call.id });
    });
  }

  /** Deadline (`max_wait`, its subject the call): nobody answered in time; the caller is told (and may ask for a callback). */
  async maxWaitReached(deadline: DeadlineRow): Promise<void> {
    await this.ledger.runDeadline(deadline, async (tx) => {
      const call = await tx.call(deadline.subject_id);
      if (!call || (call.state !== 'queued' && call.state !== 'ringing')) return;
      if (Date.parse(call.queued_at) + this.config.calls.maxWaitSeconds * 1000 > tx.now.getTime()) return;
      await this.endCall(tx, call, 'max_wait', 'system', null);
    });
  }

  /** Deadline (`media_timeout`, its subject the call): accepted, but media never connected. */
  async mediaTimedOut(deadline: DeadlineRow): Promise<void> {
    await this.ledger.runDeadline(deadline, async (tx) => {
      const call = await tx.call(deadline.subject_id);
      if (call?.state !== 'accepted' || !call.answered_at) return;
      if (Date.parse(call.answered_at) + this.config.calls.mediaTimeoutSeconds * 1000 > tx.now.getTime()) return;
      await this.endCall(tx, call, 'media_failed', 'system', null);
    });
  }

  /**
   * The agent saves disposition and notes and returns to Available (a late save just saves).
   * One transaction with the call's end and the move into wrap-up, so a save can never fall
   * between the two. Sending the same wrap-up again is fine and changes nothing (the portal
   * re-sends one whose answer a dropped connection lost); a different one for a call already
   * wrapped up is a `conflict` that names what was saved.
   */
  async completeWrapUp(agent: SessionUser, wrapUp: WrapUp): Promise<void> {
    if (!this.config.calls.dispositions.includes(wrapUp.disposition)) {
      throw new ProblemException('bad_request', `disposition must be one of: ${this.config.calls.dispositions.join(', ')}`);
    }
    // null when saved now; what was kept when the call was already wrapped up.
    const earlier = await this.ledger.run(async (tx): Promise<{ kept: string; repeated: boolean } | null> => {
      const call = await tx.callAndAgent(wrapUp.callId);
      if (!call || call.agent_id !== agent.id) throw new ProblemException('forbidden', 'Only the agent who took the call may wrap it up');
      if (call.state !== 'ended' || !call.ended_at) throw new ProblemException('invalid_state', 'The call is still in progress');
      if (call.disposition !== null) return { kept: call.disposition, repeated: call.disposition === wrapUp.disposition && (call.notes ?? '') === wrapUp.notes };
      const wrapUpMs = call.wrap_up_ms ?? Math.max(0, tx.now.getTime() - Date.parse(call.ended_at));
      await tx.updateCall(call, { disposition: wrapUp.disposition, notes: wrapUp.notes, wrap_up_ms: wrapUpMs }, { disposition: null });
      await tx.addEvent(call.id, 'wrap_up_saved', { id: agent.id, name: agent.displayName }, wrapUp.disposition);
      const moved = await tx.moveAgent(agent.id, { to: 'available', by: 'agent', reason: 'wrap-up saved', byUserId: agent.id, onlyFrom: ['wrap_up'], callId: call.id });
      if (moved) await tx.deadlines.cancel(agent.id, 'wrap_up_end');
      return null;
    });
    if (earlier && !earlier.repeated) throw new ProblemException('conflict', `This call’s wrap-up is already saved (${earlier.kept}); it was not changed`);
  }

  /**
   * The agent asks for more wrap-up time: its end moves {@link WRAP_UP_EXTENSION_SECONDS} later,
   * up to WRAP_UP_MAX_SECONDS after the wrap-up began; the agent's new status. A wrap-up whose
   * end has passed is over even if its deadline has not run yet: extending it then would race
   * the deadline, which moves the agent to Available whatever this answered.
   */
  async extendWrapUp(agent: SessionUser, { callId }: CallRef): Promise<AgentStatus> {
    const maxSeconds = this.config.calls.wrapUpMaxSeconds;
    return this.ledger.run(async (tx) => {
      const row = await tx.agent(agent.id);
      if (row?.state !== 'wrap_up' || row.call_id !== callId || !row.wrap_up_ends_at) throw new ProblemException('invalid_state', 'That call is not in wrap-up');
      if (row.wrap_up_ends_at <= tx.nowIso) throw new ProblemException('invalid_state', 'Wrap-up time has run out');
      const endsAt = Date.parse(row.wrap_up_ends_at);
      const latest = Date.parse(row.since) + maxSeconds * 1000;
      const extended = Math.min(endsAt + WRAP_UP_EXTENSION_SECONDS * 1000, latest);
      if (extended <= endsAt) throw new ProblemException('invalid_state', `Wrap-up cannot last longer than ${formatSeconds(maxSeconds)}`);
      const changed = await tx.setWrapUpEnd(row, new Date(extended).toISOString());
      await tx.deadlines.schedule('wrap_up_end', agent.id, new Date(extended));
      return toAgentStatus(changed);
    });
  }

  /** Deadline (`wrap_up_end`, its subject the agent): wrap-up time ran out; the agent is Available again. */
  async wrapUpTimedOut(deadline: DeadlineRow): Promise<void> {
    const agentId = deadline.subject_id;
    await this.ledger.runDeadline(deadline, async (tx) => {
      const agent = await tx.agent(agentId);
      if (agent?.state !== 'wrap_up' || !agent.wrap_up_ends_at || agent.wrap_up_ends_at > tx.nowIso) return;
      if (agent.call_id) await this.closeWrapUp(tx, agent.call_id, 'wrap-up time ran out');
      await tx.moveAgent(agentId, { to: 'available', by: 'system', reason: 'wrap-up time ran out', callId: agent.call_id ?? undefined });
    });
  }

  /** In a ledger transaction: records the wrap-up time of a call whose wrap-up ends unsaved (timeout or sign-out). */
  async closeWrapUp(tx: LedgerTransaction, callId: string, detail: string): Promise<void> {
    const call = await tx.call(callId);
    if (call?.state !== 'ended' || !call.ended_at || call.wrap_up_ms !== null || call.disposition !== null) return;
    await tx.updateCall(call, { wrap_up_ms: Math.max(0, tx.now.getTime() - Date.parse(call.ended_at)) }, { disposition: null });
    await tx.addEvent(callId, 'wrap_up_saved', null, detail);
  }

  /** The caller asks to be called back after an unanswered call (once per call). */
  async requestCallback(caller: SessionUser, request: CallbackRequestMessage): Promise<{ callbackId: string }> {
    const call = await this.records.get(request.callId);
    if (!call || call.caller_id !== caller.id) throw new ProblemException('forbidden', 'Only the caller may ask for a callback');
    if (call.outcome !== 'unanswered') throw new ProblemException('invalid_state', 'A callback can be requested only after a call nobody answered');
    const name = request.name ?? caller.displayName;
    return this.ledger.run(async (tx) => {
      const callbackId = await this.records.insertCallback({ callId: call.id, studentId: caller.id, name, note: request.note || null }, tx.db);
      if (!callbackId) throw new ProblemException('conflict', 'A callback is already requested for this call');
      await tx.addEvent(call.id, 'callback_requested', { id: caller.id, name }, request.note || null);
      tx.publish({ type: 'callbackChanged', callbackId, callId: call.id });
      return { callbackId };
    });
  }

  /**
   * In a ledger transaction: ends the call from the state it was read in, with its one outcome;
   * a ringing agent's offer is withdrawn (they are Available again), an accepted agent goes to
   * wrap-up.
   *
   * @throws Superseded when the call had moved on meanwhile
   */
  async endCall(tx: LedgerTransaction, call: CallRow, reason: EndReason, endedBy: CallParty, actor: SessionUser | null): Promise<void> {
    const outcome = outcomeOf({ state: call.state, reason, queuedAt: call.queued_at, endedAt: tx.nowIso, shortAbandonSeconds: this.config.calls.shortAbandonSeconds, direction: call.direction });
    const { queueMs, talkMs } = durationsOf({ queuedAt: call.queued_at, answeredAt: call.answered_at, connectedAt: call.connected_at }, tx.nowIso);
    await tx.moveCall(call, 'ended', { outcome, ended_at: tx.nowIso, ended_by: endedBy, end_reason: reason, ringing_agent_id: null, queue_ms: queueMs, talk_ms: talkMs });
    const who = actor ? { id: actor.id, name: actor.displayName } : null;
    // A student who declines a callback has its own entry (`declined`).
    if (reason === 'cancelled' && !(call.direction === 'outbound' && endedBy === 'caller')) await tx.addEvent(call.id, 'cancelled', who);
    if (reason === 'media_failed') await tx.addEvent(call.id, 'media_failed', who);
    // (`moveCall` refused an ended call above.)
    const deadlines = call.state === 'ended' ? [] : CALL_DEADLINES[call.state];
    const cancelling = deadlines.length > 0 ? [tx.deadlines.cancelling(call.id, ...deadlines)] : [];
    await tx.addEvent(call.id, 'ended', who, describeEnd(outcome, reason, endedBy), ...cancelling, ...tx.droppingSignals(call.id));
    const notice: CallEnded = { callId: call.id, outcome, endedBy, reason };
    tx.publish({ type: 'callEnded', notice, callerId: call.caller_id, agentId: call.agent_id });
    if (call.callback_id) {
      // A callback the student never accepted is an attempt on its request; any other end changes the request's record (the call's outcome).
      const agent = call.agent_id ? { id: call.agent_id, name: call.agent_name ?? '' } : null;
      if (call.state === 'ringing') await addCallbackEvent(tx, { callbackId: call.callback_id, type: 'attempt', actor: agent, note: unansweredNote(reason, endedBy), callId: call.id });
      else tx.publish({ type: 'callbackChanged', callbackId: call.callback_id, callId: call.id });
    }
    if (call.state === 'ringing' && call.ringing_agent_id) {
      const cancelled = reason === 'cancelled' || reason === 'caller_left';
      tx.publish({ type: 'offerWithdrawn', callId: call.id, agentId: call.ringing_agent_id, reason: cancelled ? 'cancelled' : 'ended' });
      await tx.moveAgent(call.ringing_agent_id, { to: 'available', by: 'system', reason: 'offer withdrawn', callId: call.id });
    }
    if (call.agent_id) {
      const endsAt = secondsAfter(tx.now, this.config.calls.wrapUpSeconds);
      const moved = await tx.moveAgent(call.agent_id, { to: 'wrap_up', by: 'system', reason: 'call ended', callId: call.id, set: { wrap_up_ends_at: endsAt.toISOString() } });
      if (moved) await tx.deadlines.schedule('wrap_up_end', call.agent_id, endsAt);
    }
  }
}

/** Why a callback was not answered, as its request's attempt says. */
function unansweredNote(reason: EndReason, endedBy: CallParty): string {
  if (reason === 'max_wait') return 'No answer';
  if (reason === 'caller_left') return 'The student left before answering';
  if (endedBy === 'caller') return 'The student declined the call';
  if (endedBy === 'agent') return 'The agent hung up before the student answered';
  return 'The call was not answered';
}

/** Which side of the call the user is on, if either. */
function partyOf(call: CallRow | undefined, userId: string): 'caller' | 'agent' | null {
  if (!call) return null;
  if (call.caller_id === userId) return 'caller';
  if (call.agent_id === userId) return 'agent';
  return null;
}
