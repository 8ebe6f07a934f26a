import { Injectable } from '@nestjs/common';
import { durationsOf, type CallbackCall, type SessionUser } from '@switchboard/call-domain';
import { isUniqueViolation } from '../database/database-errors';
import type { CallRow, DeadlineRow } from '../database/schema';
import { newCallId } from '../database/time-ordered-ids';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { CallCompletion } from './call-completion.service';
import { CallMediaHolders } from './call-media-holders';
import { callAgentRoom, callRingingRoom } from './call-parties';
import { emptyCall } from './call-router.service';
import { CallRecords } from './call-records';
import { addCallbackEvent, CallbackRequestsService } from './callback-requests.service';
import { secondsAfter } from './deadlines';
import { CallLedger } from './ledger/call-ledger';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

const NOT_RINGING = 'This callback is not ringing for you';

/**
 * Outbound calls: an agent calls a student back about a callback request they took. Each step
 * is one ledger transaction and a move of the domain's outbound state machine (the call starts
 * `ringing` at the student; `accepted` when they accept; then as any call). The agent is On call
 * from the moment they dial and goes to wrap-up when it ends; a call the student never accepted
 * (declined, no answer within RING_TIMEOUT_SECONDS, the agent gave up, the student left) ends
 * `unanswered` and records an attempt on the request (`CallCompletion.endCall`).
 *
 * Media: the agent's tab is the party that offers (the caller's side of the signaling relay:
 * room `call:<id>:caller`); the student's tabs, while it rings, are in `call:<id>:ringing`, and
 * the tab that accepts in `call:<id>:agent`: the rooms name the sides of the media, not roles.
 */
@Injectable()
export class CallbackCalls {
  constructor(
    private readonly ledger: CallLedger,
    private readonly records: CallRecords,
    private readonly callbacks: CallbackRequestsService,
    private readonly completion: CallCompletion,
    private readonly rooms: SocketRooms,
    private readonly signals: SignalRelay,
    private readonly holders: CallMediaHolders,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The agent who took the request calls the student, who must be signed in; the agent goes On call. */
  async place(agent: SessionUser, socket: AppSocket, callbackId: string): Promise<CallbackCall> {
    const callId = newCallId();
    // Asked before the transaction (it asks every node): a student who leaves meanwhile is
    // handled as any caller who leaves a ringing call.
    const known = await this.callbacks.get(callbackId);
    if (known.doneAt === null && known.takenById === agent.id && !known.studentOnline) throw new ProblemException('invalid_state', `${known.name} is not signed in; record an attempt or try later`);
    try {
      return await this.ledger.run(async (tx) => {
        const request = await this.callbacks.takenBy(tx, callbackId, agent);
        const student = await tx.db.selectFrom('users').select(['id', 'display_name']).where('id', '=', request.student_id).executeTakeFirst();
        if (!student) throw new ProblemException('not_found', 'The student of this callback request no longer exists');
        const actor = { id: agent.id, name: agent.displayName };
        const ringsOutAt = secondsAfter(tx.now, this.config.calls.ringTimeoutSeconds).toISOString();
        await tx.insertCall({
          ...emptyCall(),
          id: callId,
          direction: 'outbound',
          callback_id: callbackId,
          state: 'ringing',
          caller_id: student.id,
          caller_name: student.display_name,
          agent_id: agent.id,
          agent_name: agent.displayName,
          rings_out_at: ringsOutAt,
          queued_at: tx.nowIso,
        });
        const moved = await tx.moveAgent(agent.id, { to: 'on_call', by: 'agent', reason: 'placed a callback', byUserId: agent.id, requireConnected: true, set: { call_id: callId } });
        if (!moved) throw new ProblemException('invalid_state', 'Be Available or Away, with no call in hand, to call back');
        await tx.deadlines.schedule('ring_timeout', callId, new Date(ringsOutAt));
        await tx.addEvent(callId, 'dialed', actor, `callback to ${student.display_name}`);
        await addCallbackEvent(tx, { callbackId, type: 'call_placed', actor, callId });
        const call: CallbackCall = {
          callId,
          callbackId,
          agent: { id: agent.id, displayName: agent.displayName },
          student: { id: student.id, displayName: student.display_name },
          ringsOutAt,
        };
        tx.publish({ type: 'callbackRinging', callId, call, socketId: socket.id });
        return call;
      });
    } catch (err) {
      // The student is in another call (one call in progress per student: the unique index).
      if (isUniqueViolation(err)) throw new ProblemException('conflict', 'The student is in another call; try again later');
      throw err;
    }
  }

  /** The student accepts the callback ringing at them, from `socket`, which answers the media. */
  async accept(student: SessionUser, socket: AppSocket, callId: string): Promise<CallbackCall> {
    const call = await this.ledger.run(async (tx) => {
      const row = await this.ringingFor(await tx.call(callId), student);
      const accepted = await tx.moveCall(row, 'accepted', {
        answered_at: tx.nowIso,
        queue_ms: durationsOf({ queuedAt: row.queued_at, answeredAt: tx.nowIso, connectedAt: null }, tx.nowIso).queueMs,
      });
      await tx.addEvent(callId, 'accepted', { id: student.id, name: student.displayName }, null, ...tx.deadlines.replacing(callId, ['ring_timeout'], 'media_timeout', secondsAfter(tx.now, this.config.calls.mediaTimeoutSeconds)));
      const info = callbackCallOf(accepted);
      tx.publish({ type: 'callbackAccepted', callId, call: info, socketId: socket.id });
      return info;
    });
    // The agent's offer and candidates so far, in order, to the tab that accepted (its inbox drops repeats).
    await this.signals.resendHeld(callId, this.rooms.to(socket.id));
    return call;
  }

  /** The student declines the callback ringing at them: it ends unanswered and the request records an attempt. */
  async decline(student: SessionUser, callId: string): Promise<void> {
    await this.ledger.run(async (tx) => {
      const call = await this.ringingFor(await tx.call(callId), student);
      await tx.addEvent(callId, 'declined', { id: student.id, name: student.displayName });
      await this.completion.endCall(tx, call, 'cancelled', 'caller', student);
    });
  }

  /**
   * Deadline (`ring_timeout`): a callback nobody answered within the ring timeout ends
   * unanswered; false for any other call (left to `CallRouter.ringOut`).
   */
  async ringOut(deadline: DeadlineRow): Promise<boolean> {
    const callId = deadline.subject_id;
    if ((await this.records.get(callId))?.direction !== 'outbound') return false;
    await this.ledger.runDeadline(deadline, async (tx) => {
      const call = await tx.call(callId);
      if (call?.state === 'ringing' && call.rings_out_at && call.rings_out_at <= tx.nowIso) await this.completion.endCall(tx, call, 'max_wait', 'system', null);
    });
    // Handled here, or no longer claimed: nothing is left to do, by either.
    return true;
  }

  /**
   * Puts a student's new socket back on their callback: while it rings, it rings in this tab too
   * (with the agent's offer so far); once accepted, the socket joins the answering side when no
   * other tab of theirs holds it, and gets the held offer again before media connects.
   */
  async rejoin(socket: AppSocket, call: CallRow): Promise<void> {
    if (call.state === 'ringing') {
      await socket.join(callRingingRoom(call.id));
      socket.emit('callbackRinging', callbackCallOf(call));
    } else {
      if (!(await this.holders.take(socket, call.id, callAgentRoom(call.id)))) return;
      if (call.state !== 'accepted') return;
    }
    await this.signals.resendHeld(call.id, this.rooms.to(socket.id));
  }

  /** The outbound call, if it rings at `student` now. @throws ProblemException forbidden, invalid_state */
  private async ringingFor(call: CallRow | undefined, student: SessionUser): Promise<CallRow> {
    if (!call || call.direction !== 'outbound' || call.caller_id !== student.id) throw new ProblemException('forbidden', NOT_RINGING);
    if (call.state !== 'ringing') throw new ProblemException('invalid_state', call.state === 'ended' ? 'This callback has ended' : 'This callback was already answered');
    return call;
  }
}

/** What the parties are told about an outbound call. */
export function callbackCallOf(call: CallRow): CallbackCall {
  return {
    callId: call.id,
    callbackId: call.callback_id ?? '',
    agent: { id: call.agent_id ?? '', displayName: call.agent_name ?? '' },
    student: { id: call.caller_id, displayName: call.caller_name },
    ringsOutAt: call.rings_out_at ?? call.queued_at,
  };
}
