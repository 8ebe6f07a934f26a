import { Injectable } from '@nestjs/common';
import type { CallId, CallOffer, LiveCall, SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence } from './agent-presence.service';
import { callAgentRoom } from './call-parties';
import { CallRecords } from './call-records';
import { CallLedger } from './ledger/call-ledger';
import { SocketRooms, userRoom } from './socket-rooms';

/**
 * An agent's page that reloaded during a call takes it up again (`resumeCall`): the socket
 * must hold the call (be in its agent room, or join it when no other tab of the agent does —
 * a second tab cannot take a live call from the first), the timeline records `resumed`, and
 * the caller is told (`callResumed`) so that it offers again from a new peer connection.
 *
 * A page opened again after its tab was closed has no memory of the call: it asks
 * (`getLiveCall`) which call in progress its user is in, and whether another tab holds it.
 */
@Injectable()
export class CallResumption {
  constructor(
    private readonly ledger: CallLedger,
    private readonly records: CallRecords,
    private readonly rooms: SocketRooms,
    private readonly presence: AgentPresence,
  ) {}

  /** Agent: resumes `callId` on `socket`; answers with the call's caller. */
  async resume(agent: SessionUser, socket: AppSocket, callId: CallId): Promise<Pick<CallOffer, 'callId' | 'caller'>> {
    const call = await this.records.get(callId);
    if (!call || call.agent_id !== agent.id) throw new ProblemException('forbidden', 'Only the agent who took the call may resume it');
    if (call.state !== 'accepted' && call.state !== 'connected') throw new ProblemException('invalid_state', 'The call is not in progress');
    if (call.direction === 'outbound') throw new ProblemException('invalid_state', 'A callback cannot be taken up again after a reload; call the student again');
    const room = callAgentRoom(callId);
    if (!socket.rooms.has(room)) {
      if (await this.rooms.isOccupied(room)) throw new ProblemException('conflict', 'This call is in another tab');
      await socket.join(room);
    }
    const moved = await this.ledger.run(async (tx) => {
      const now = await tx.call(callId);
      if (now?.state !== 'accepted' && now?.state !== 'connected') return false;
      await tx.addEvent(callId, 'resumed', { id: agent.id, name: agent.displayName });
      tx.publish({ type: 'callResumed', callId, callerId: now.caller_id });
      return true;
    });
    if (!moved) throw new ProblemException('invalid_state', 'The call is not in progress');
    return { callId, caller: { id: call.caller_id, displayName: call.caller_name } };
  }

  /**
   * The answered call in progress `user` is a party to, or null. For an agent it is held
   * elsewhere when another socket is in its agent room (this socket joined it on connection
   * when it was free); for a student, when another of their sockets is connected. A callback
   * (outbound) is never one: it cannot be taken up again ({@link resume} refuses it), and its
   * student answers its media rather than offering as a caller does.
   */
  async liveCall(user: SessionUser, socket: AppSocket): Promise<LiveCall | null> {
    const answered = (state: string) => state === 'accepted' || state === 'connected';
    if (user.role === 'agent') {
      const row = await this.presence.get(user.id);
      const call = row?.state === 'on_call' && row.call_id ? await this.records.get(row.call_id) : undefined;
      if (!call || call.agent_id !== user.id || !answered(call.state) || call.direction === 'outbound') return null;
      const heldElsewhere = await this.othersIn(callAgentRoom(call.id), socket);
      return { callId: call.id, role: 'agent', peer: { id: call.caller_id, displayName: call.caller_name }, heldElsewhere };
    }
    const call = (await this.records.activeOfCaller(user.id)).find((c) => answered(c.state) && c.agent_id && c.direction === 'inbound');
    if (!call?.agent_id) return null;
    const heldElsewhere = await this.othersIn(userRoom(user.id), socket);
    return { callId: call.id, role: 'caller', peer: { id: call.agent_id, displayName: call.agent_name ?? '' }, heldElsewhere };
  }

  /** Whether a socket other than `socket` is in `room`, on any node. */
  private async othersIn(room: string, socket: AppSocket): Promise<boolean> {
    return (await this.rooms.io.in(room).fetchSockets()).some((s) => s.id !== socket.id);
  }
}
