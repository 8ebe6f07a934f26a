import { Injectable } from '@nestjs/common';
import type { CallId, CallOffer, LiveCall, LiveCallQuery, SessionUser } from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence } from './agent-presence.service';
import { CallMediaHolders } from './call-media-holders';
import { callAgentRoom, callCallerRoom, callCallerTabRoom } from './call-parties';
import { CallRecords } from './call-records';
import { CallLedger } from './ledger/call-ledger';
import { offererOf } from './signal-relay.service';

/**
 * A party's page that reloaded during a call takes it up again (`resumeCall`): the socket must
 * hold its side of the call's media (be in that side's room, or join it when no other tab of
 * the user does — a second tab cannot take a live call from the first).
 * - The answering side (the agent who took an inbound call, the student who accepted a
 *   callback) answers from a new peer connection: the timeline records `resumed` and the
 *   offering side is told (`callResumed`) so that it offers again from a new one.
 * - The offering side (the student who called, the agent calling back) offers a new
 *   negotiation itself; its offer says why (`resume`) and the relay records `resumed` then.
 *
 * A page opened again after its tab was closed has no memory of the call: it asks
 * (`getLiveCall`) which call in progress its user is in, and whether another tab holds it.
 */
@Injectable()
export class CallResumption {
  constructor(
    private readonly ledger: CallLedger,
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly holders: CallMediaHolders,
  ) {}

  /**
   * Resumes `callId` on `socket` for `user`, a party of it; answers with the call's caller (the
   * student). @throws ProblemException `forbidden` (not a party), `invalid_state` (not in
   * progress), `conflict` (another tab holds it).
   */
  async resume(user: SessionUser, socket: AppSocket, callId: CallId): Promise<Pick<CallOffer, 'callId' | 'caller'>> {
    const call = await this.records.get(callId);
    const party = call && (user.role === 'agent' ? call.agent_id === user.id : call.caller_id === user.id);
    if (!call || !party) throw new ProblemException('forbidden', 'Only a party of the call may resume it');
    if (call.state !== 'accepted' && call.state !== 'connected') throw new ProblemException('invalid_state', 'The call is not in progress');
    const room = holdingRoom(call, user.id);
    if (!(await this.holders.take(socket, callId, room))) throw new ProblemException('conflict', 'This call is in another tab');
    if (offererOf(call) !== user.id) {
      const moved = await this.ledger.run(async (tx) => {
        const now = await tx.call(callId);
        if (now?.state !== 'accepted' && now?.state !== 'connected') return false;
        await tx.addEvent(callId, 'resumed', { id: user.id, name: user.displayName });
        tx.publish({ type: 'callResumed', callId, callerId: offererOf(now) });
        return true;
      });
      if (!moved) throw new ProblemException('invalid_state', 'The call is not in progress');
    }
    return { callId, caller: { id: call.caller_id, displayName: call.caller_name } };
  }

  /**
   * The answered call in progress `user` is a party to, or null; it is held elsewhere when
   * another socket is in the room of the user's side of its media (for an agent, this socket
   * joined it on connection when it was free; for a student, the tab that placed the call or
   * took it up again is in it — their other tabs are not). A student's callback (outbound) is
   * not one: its page remembers it (see the help page's `StudentCallback`), and the student's
   * call page must not take it up as a call it placed. An agent's callback is one only for a
   * page that says it can take it up (`callbacks: true`).
   */
  async liveCall(user: SessionUser, socket: AppSocket, query: LiveCallQuery = {}): Promise<LiveCall | null> {
    const answered = (state: string) => state === 'accepted' || state === 'connected';
    if (user.role === 'agent') {
      const row = await this.presence.get(user.id);
      const call = row?.state === 'on_call' && row.call_id ? await this.records.get(row.call_id) : undefined;
      if (!call || call.agent_id !== user.id || !answered(call.state)) return null;
      if (call.direction === 'outbound' && !query.callbacks) return null;
      const heldElsewhere = await this.holders.heldElsewhere(socket, call.id, holdingRoom(call, user.id));
      return { callId: call.id, role: 'agent', peer: { id: call.caller_id, displayName: call.caller_name }, heldElsewhere, direction: call.direction };
    }
    const call = (await this.records.activeOfCaller(user.id)).find((c) => answered(c.state) && c.agent_id && c.direction === 'inbound');
    if (!call?.agent_id) return null;
    const heldElsewhere = await this.holders.heldElsewhere(socket, call.id, callCallerTabRoom(call.id));
    return { callId: call.id, role: 'caller', peer: { id: call.agent_id, displayName: call.agent_name ?? '' }, heldElsewhere, direction: call.direction };
  }
}

/**
 * The room of the one socket of `userId` that holds their side of the call's media: the
 * offering side is the caller's tab on an inbound call, the agent's (in the relay's caller
 * room) on a callback; the answering side is in the agent room (named for inbound calls).
 */
function holdingRoom(call: CallRow, userId: string): string {
  if (offererOf(call) !== userId) return callAgentRoom(call.id);
  return call.direction === 'outbound' ? callCallerRoom(call.id) : callCallerTabRoom(call.id);
}
