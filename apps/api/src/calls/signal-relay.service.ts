import { Injectable } from '@nestjs/common';
import type { AnswerMessage, CandidateMessage, OfferMessage, SessionUser } from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { CallRecords } from './call-records';
import { callAgentRoom, SocketRooms, type Broadcast } from './socket-rooms';

const NOT_A_PARTY = 'Only the parties of a call may signal for it';

/**
 * Relays WebRTC signaling between a call's two parties, after checking the sender's right to
 * it: offers only from the caller, answers only from the accepted agent, candidates from
 * either. The caller's latest offer and candidates are held in `call_signals` until media
 * connects or the call ends, so an agent who accepts in another tab or after a reload still
 * gets them.
 */
@Injectable()
export class SignalRelay {
  constructor(
    private readonly records: CallRecords,
    private readonly rooms: SocketRooms,
  ) {}

  /** The caller's SDP offer: held, and relayed to the ringing or accepted agent. */
  async relayOffer(sender: SessionUser, message: OfferMessage): Promise<void> {
    const call = await this.callOf(sender, message.callId, 'caller');
    if (call.state === 'connected') throw new ProblemException('invalid_state', 'Media is already connected: the call takes no new offer');
    if ((await this.records.holdSignal('offer', message)) === 'duplicate') return;
    this.agentSide(call)?.emit('offerRelayed', message);
  }

  /** The accepted agent's SDP answer, relayed to the caller. */
  async relayAnswer(sender: SessionUser, message: AnswerMessage): Promise<void> {
    const call = await this.callOf(sender, message.callId, 'agent');
    this.rooms.toUser(call.caller_id).emit('answerRelayed', message);
  }

  /**
   * A candidate from either party, relayed to the other. The caller's are held too, up to
   * MAX_HELD_CANDIDATES per call; beyond that they are still relayed live, just not held (and
   * so not de-duplicated: the portal's inbox drops repeats).
   */
  async relayCandidate(sender: SessionUser, message: CandidateMessage): Promise<void> {
    const call = await this.callOf(sender, message.callId, 'either');
    if (call.agent_id === sender.id && call.caller_id !== sender.id) {
      this.rooms.toUser(call.caller_id).emit('candidateRelayed', message);
      return;
    }
    if (call.state !== 'connected' && (await this.records.holdSignal('candidate', message)) === 'duplicate') return;
    this.agentSide(call)?.emit('candidateRelayed', message);
  }

  /** Sends the call's held offer and candidates, in order, to `target`. */
  async resendHeld(callId: string, target: Broadcast): Promise<void> {
    for (const signal of await this.records.heldSignals(callId)) {
      if (signal.kind === 'offer') {
        const { kind: _kind, ...message } = signal;
        target.emit('offerRelayed', message);
      } else if (signal.kind === 'candidate') {
        const { kind: _kind, ...message } = signal;
        target.emit('candidateRelayed', message);
      }
    }
  }

  /** Where the caller's messages go: the ringing agent's tabs, or the socket that accepted. */
  private agentSide(call: CallRow): Broadcast | null {
    if (call.state === 'ringing' && call.ringing_agent_id) return this.rooms.toUser(call.ringing_agent_id);
    if (call.state === 'accepted' || call.state === 'connected') return this.rooms.to(callAgentRoom(call.id));
    return null;
  }

  /**
   * The call, if `sender` may signal for it as `side`. Anyone else gets `forbidden` whether
   * or not the call exists; a party of a call that is over gets `invalid_state`.
   */
  private async callOf(sender: SessionUser, callId: string, side: 'caller' | 'agent' | 'either'): Promise<CallRow> {
    const call = await this.records.get(callId);
    const isCaller = call?.caller_id === sender.id;
    const isAgent = call?.agent_id === sender.id && (call.state === 'accepted' || call.state === 'connected' || call.state === 'ended');
    const allowed = side === 'caller' ? isCaller : side === 'agent' ? isAgent : isCaller || isAgent;
    if (!call || !allowed) throw new ProblemException('forbidden', NOT_A_PARTY);
    if (call.state === 'ended') throw new ProblemException('invalid_state', 'The call has ended');
    return call;
  }
}
