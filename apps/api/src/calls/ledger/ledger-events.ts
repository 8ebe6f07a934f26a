import type { AgentState, AgentStatus, CallbackCall, CallEnded, CallOffer, OfferWithdrawnReason } from '@switchboard/call-domain';

/**
 * What the call ledger publishes after each commit: the facts of one move of a call or an
 * agent, in the order they happened. Routing, the queue feed and the socket notifications
 * react to these; nothing else tells them that something changed.
 */
export type LedgerEvent =
  /** A student's call entered the queue. */
  | { type: 'callQueued'; callId: string; callerId: string }
  /** A call rings at an agent (all their tabs). */
  | { type: 'callOffered'; agentId: string; offer: CallOffer }
  /** An offer was taken back from an agent. */
  | { type: 'offerWithdrawn'; callId: string; agentId: string; reason: OfferWithdrawnReason; exceptSocketId?: string }
  /** A ringing call went back in line (declined, rang out, agent lost), keeping its place. */
  | { type: 'callRequeued'; callId: string; callerId: string; declined: boolean }
  /**
   * An agent accepted, from the socket `socketId` (which holds the call's media), at
   * `answeredAt` after the call waited `queueMs` (both absent in events stored before they were added).
   */
  | { type: 'callAccepted'; callId: string; callerId: string; agent: { id: string; displayName: string }; socketId: string; answeredAt?: string; queueMs?: number }
  /** Media connected. */
  | { type: 'callConnected'; callId: string }
  /** The call is over, with its one outcome. */
  | { type: 'callEnded'; notice: CallEnded; callerId: string; agentId: string | null }
  /**
   * The answering side's page reloaded and took the call up again: the offering side offers
   * anew. `callerId` is that side's user — the student who called, or on a callback the agent
   * (the name predates callbacks; events already in the outbox carry it).
   */
  | { type: 'callResumed'; callId: string; callerId: string }
  /** A new negotiation of a call's media started (an offer with a new id). */
  | { type: 'negotiationStarted'; callId: string; negotiationId: string }
  /** An agent's presence changed (state, or connection). */
  | { type: 'agentStatusChanged'; status: AgentStatus; from: AgentState }
  /**
   * An agent placed a callback (an outbound call) from the socket `socketId`, which offers its
   * media: it rings at the student (all their tabs).
   */
  | { type: 'callbackRinging'; callId: string; call: CallbackCall; socketId: string }
  /** The student accepted the callback from the socket `socketId`, which answers the media. */
  | { type: 'callbackAccepted'; callId: string; call: CallbackCall; socketId: string }
  /** A callback request changed (taken, an attempt, a call placed or ended, done). */
  | { type: 'callbackChanged'; callbackId: string; callId: string | null };

/** The type names of {@link LedgerEvent}. */
export type LedgerEventType = LedgerEvent['type'];

/** The call an event is about, if any (an agent's status names the call they are on). */
export function callIdOf(event: LedgerEvent): string | null {
  switch (event.type) {
    case 'callOffered':
      return event.offer.callId;
    case 'callEnded':
      return event.notice.callId;
    case 'agentStatusChanged':
      return event.status.callId;
    default:
      return event.callId;
  }
}

/** Whether an event changes the calls waiting or in progress (what the queue feed shows). */
export function changesQueue(event: LedgerEvent): boolean {
  return event.type !== 'agentStatusChanged' && event.type !== 'negotiationStarted' && event.type !== 'callResumed' && event.type !== 'callbackChanged';
}
