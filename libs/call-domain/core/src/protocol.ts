import type { Ack } from './errors';
import type { AgentStatus, SelectableAgentState } from './agent';
import type { CallDirection, CallId, CallOutcome, CallParty, EndReason } from './call';
import type { CallQualityChange, QualityReport } from './call-quality';
import type { CallbackRequest } from './supervisor';

/** A message's id, chosen by its sender (a UUID): a repeated id is a duplicate and is ignored. */
export type MessageId = string;

/**
 * One negotiation of a call's media (a UUID chosen by the party that makes its offer): the
 * first offer, and later a re-offer (after a reload, an ICE restart, a transfer). Every offer,
 * answer and candidate belongs to one; a new offer with a new id replaces the current
 * negotiation, and messages of an older one are refused by the API (`stale_negotiation`)
 * and dropped by the portal. A sender that leaves it out means the call's current
 * negotiation; everything the API relays carries it.
 */
export type NegotiationId = string;

/** An SDP offer or answer, as `RTCSessionDescriptionInit` with a required `sdp`. */
export interface SessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

/** An ICE candidate, as `RTCIceCandidateInit`. */
export interface IceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment?: string | null;
}

/**
 * Why the caller offers again on a call already accepted: `ice_restart` (the network path broke
 * and ICE restarts) or `resume` (a reloaded page takes the call up again). The timeline records it.
 */
export type OfferReason = 'ice_restart' | 'resume';

/** The caller's SDP offer for one call. */
export interface OfferMessage {
  callId: CallId;
  messageId: MessageId;
  /** The negotiation it belongs to (see {@link NegotiationId}); the current one when left out. */
  negotiationId?: NegotiationId;
  /** Why a later negotiation starts (see {@link OfferReason}); absent for the first offer. */
  reason?: OfferReason;
  /**
   * The caller takes a provisional answer of the ringing agent (early media, see
   * `AnswerMessage.provisional`): it sends nothing on the media until `callAccepted`, and a
   * provisional answer does not count as the call answered. Without it (an older portal) the
   * agent answers only after Accept.
   */
  earlyMedia?: true;
  description: SessionDescription & { type: 'offer' };
}

/** The agent's SDP answer for one call. */
export interface AnswerMessage {
  callId: CallId;
  messageId: MessageId;
  /** The negotiation it belongs to (see {@link NegotiationId}); the current one when left out. */
  negotiationId?: NegotiationId;
  /**
   * A provisional answer (early media): sent by the agent the call rings for, before Accept,
   * so that ICE and DTLS complete while it rings. It names the current negotiation. Nothing is
   * sent on the media before the call is accepted: the agent puts no track on its connection
   * until Accept, the caller none until `callAccepted`. Not held for a caller's new socket; a
   * ring that ends without accept voids it (the caller is told `ringEnded` and offers anew).
   */
  provisional?: true;
  description: SessionDescription & { type: 'answer' };
}

/** One trickled ICE candidate for one call. */
export interface CandidateMessage {
  callId: CallId;
  messageId: MessageId;
  /** The negotiation it belongs to (see {@link NegotiationId}); the current one when left out. */
  negotiationId?: NegotiationId;
  candidate: IceCandidate;
}

/** Any signaling message, tagged with its kind: what the portal's signaling service streams. */
export type SignalMessage =
  | ({ kind: 'offer' } & OfferMessage)
  | ({ kind: 'answer' } & AnswerMessage)
  | ({ kind: 'candidate' } & CandidateMessage);

/** A payload that names one call. */
export interface CallRef {
  callId: CallId;
}

/** Where a waiting caller stands. */
export interface QueuePosition {
  callId: CallId;
  /** 1 for the next call to be served. */
  position: number;
  /**
   * Estimated seconds until answered, from recent answer times; null when unknown (no recent
   * answers, or no agent {@link staffed}).
   */
  estimatedWaitSeconds: number | null;
  /**
   * Whether any agent is working the queue (connected and Available, Ringing, On call or in
   * Wrap-up, see `isStaffed`). False: every agent is Away, Missed or Offline, so nobody will
   * answer until one comes back. Absent from servers before this field existed: read as true.
   */
  staffed?: boolean;
}

/**
 * The queue right now, as supervisors and agents see it (`queueChanged`, `GET /api/queue`), computed
 * from the stored calls when it was sent.
 */
export interface QueueSnapshot {
  /** Calls queued or ringing. */
  callsWaiting: number;
  /** When the caller who has waited longest entered the queue (ISO 8601); null when nobody waits. */
  oldestQueuedAt: string | null;
  /** How long that caller had waited at `generatedAt`, in seconds; null when nobody waits. */
  longestWaitSeconds: number | null;
  /** Calls an agent accepted that have not ended (media being set up or connected); agents are not sent a change of it alone. */
  callsInProgress: number;
  /** When the figures were read (ISO 8601, the server's clock): the newer snapshot wins. */
  generatedAt: string;
}

/** A call offered to an agent: what the incoming-call dialog shows. */
/**
 * `getLiveCall`'s payload. `callbacks: true`: the page takes up an agent's callback too (it
 * offers the media again itself). Without it an agent's callback in progress is not answered
 * (null), as before callbacks could be resumed: an older page would take it for an inbound call.
 */
export interface LiveCallQuery {
  callbacks?: true;
}

/** The answer to `getLiveCall`: a call in progress the asking user is a party to. */
export interface LiveCall {
  callId: CallId;
  /** The user's part in it. */
  role: 'caller' | 'agent';
  /** The other party. */
  peer: { id: string; displayName: string };
  /**
   * Whether another tab of the user holds the call's media: another socket of theirs placed,
   * took or resumed it (a student's idle tabs do not hold it). Such a tab must not take the call.
   */
  heldElsewhere: boolean;
  /**
   * `outbound` for an agent's callback (the agent's side offers the media, see `placeCallback`);
   * absent from servers before callbacks: inbound.
   */
  direction?: CallDirection;
}

export interface CallOffer {
  callId: CallId;
  caller: { id: string; displayName: string };
  /** When the offer rings out (ISO 8601). */
  ringsOutAt: string;
}

/** `acceptCall`: the call and, optionally, the agent's answer to its offer (made while it rang). */
export interface AcceptCall extends CallRef {
  answer?: AnswerMessage;
}

/** What `acceptCall` answers: the call, and whether the answer sent with it was relayed. */
export interface AcceptedCall extends CallOffer {
  answerRelayed?: true;
}

/** Why an offer was taken back from an agent. */
export type OfferWithdrawnReason = 'cancelled' | 'rang_out' | 'taken_elsewhere' | 'declined' | 'ended';

/** How a call ended, sent to both parties. */
export interface CallEnded {
  callId: CallId;
  outcome: CallOutcome;
  endedBy: CallParty;
  reason: EndReason;
}

/** Wrap-up of one call: disposition from the configured list, and free notes. */
export interface WrapUp {
  callId: CallId;
  disposition: string;
  notes: string;
}

/** A caller asks to be called back after their call ended unanswered (`requestCallback`). */
export interface CallbackRequestMessage {
  callId: CallId;
  /** The name to ask for; the caller's display name when left out (up to 80 characters). */
  name?: string;
  /** What the help desk should know, e.g. how to reach them (up to 500 characters). */
  note: string;
}

/** An agent calls a student back about a callback request they took (`placeCallback`). */
export interface PlaceCallbackMessage {
  callbackId: string;
}

/**
 * An outbound call (a callback) ringing at the student: what the student's incoming-call
 * prompt shows (`callbackRinging`), and what `placeCallback` answers the agent.
 */
export interface CallbackCall {
  callId: CallId;
  callbackId: string;
  /** The agent calling back. */
  agent: { id: string; displayName: string };
  /** The student called. */
  student: { id: string; displayName: string };
  /** When it stops ringing (ISO 8601): no answer by then records an attempt. */
  ringsOutAt: string;
}

/** The call settings the portal shows (`GET /api/call-settings`). */
export interface CallSettingsView {
  ringTimeoutSeconds: number;
  maxWaitSeconds: number;
  wrapUpSeconds: number;
  /** The longest wrap-up may be extended to ("+30 s", `extendWrapUp`), in seconds. */
  wrapUpMaxSeconds: number;
  /** Whether the agent must pick a disposition at wrap-up (none is preselected). */
  dispositionRequired: boolean;
  /** The dispositions an agent picks from at wrap-up, in display order. */
  dispositions: string[];
}

/** One ICE server as `RTCIceServer` takes it: TURN servers come with a credential. */
export interface IceServer {
  urls: string[];
  /** TURN only: `<expiry in Unix seconds>:<user id>` (coturn's REST scheme). */
  username?: string;
  /** TURN only: the credential for `username`, valid until `IceServers.expiresAt`. */
  credential?: string;
}

/**
 * What a call's peer connections use (`getIceServers`), asked afresh for each call: put it
 * in the `RTCConfiguration`. No ICE servers (the embedded default) works on one network.
 */
export interface IceServers {
  iceServers: IceServer[];
  /** `relay`: only TURN candidates, so neither party learns the other's address. */
  iceTransportPolicy: 'all' | 'relay';
  /** When the TURN credentials stop working (ISO 8601); null when there are none. */
  expiresAt: string | null;
}

/** Media state reported by a party's browser. */
export interface MediaReport {
  callId: CallId;
  state: 'connected' | 'failed';
}

/** Events the portal sends; every one is acknowledged with an {@link Ack}. */
export interface ClientToServerEvents {
  /** Student: place a call. Answers with the call id and place in line. */
  requestCall: (payload: Record<string, never>, ack: (res: Ack<QueuePosition>) => void) => void;
  /** Student: leave the line or stop the ringing. */
  cancelCall: (payload: CallRef, ack: (res: Ack) => void) => void;
  /**
   * Agent: take the call offered to them. Answers with the caller. With `answer` (the SDP
   * answer to the call's offer, as `sendAnswer` takes it), the answer is then relayed to the
   * caller as a `sendAnswer` would be, and the ack says `answerRelayed: true`; without that
   * flag the agent sends its answer with `sendAnswer`.
   */
  acceptCall: (payload: AcceptCall, ack: (res: Ack<AcceptedCall>) => void) => void;
  /** Agent: refuse the call offered to them; it goes to the next agent. */
  declineCall: (payload: CallRef, ack: (res: Ack) => void) => void;
  /** Either party: end a call in progress. */
  hangUp: (payload: CallRef, ack: (res: Ack) => void) => void;
  /** Either party: media connected or failed in this browser. */
  reportMedia: (payload: MediaReport, ack: (res: Ack) => void) => void;
  /** Caller: the SDP offer. */
  sendOffer: (payload: OfferMessage, ack: (res: Ack) => void) => void;
  /**
   * Agent: the SDP answer. With `provisional: true`, the agent the call rings for (only that
   * agent, of an inbound call, for its current negotiation, whose offer says `earlyMedia`) answers before Accept, and may
   * then send its candidates while it rings; refused with `forbidden` for anyone else,
   * `invalid_state` once the call no longer rings, `stale_negotiation` for another negotiation.
   */
  sendAnswer: (payload: AnswerMessage, ack: (res: Ack) => void) => void;
  /** Either party: a trickled ICE candidate. */
  sendCandidate: (payload: CandidateMessage, ack: (res: Ack) => void) => void;
  /** Agent: pick Available or Away (also the way back from Missed). */
  setAvailability: (payload: { state: SelectableAgentState }, ack: (res: Ack<AgentStatus>) => void) => void;
  /** Agent: save wrap-up and return to Available. */
  completeWrapUp: (payload: WrapUp, ack: (res: Ack) => void) => void;
  /** Agent: 30 s more wrap-up for the call (up to the configured maximum); the new status. */
  extendWrapUp: (payload: CallRef, ack: (res: Ack<AgentStatus>) => void) => void;
  /** Caller: after a call ended unanswered, ask to be called back (once per call). */
  requestCallback: (payload: CallbackRequestMessage, ack: (res: Ack<{ callbackId: string }>) => void) => void;
  /**
   * Either party of a call that is not over (the caller, the agent it rings for, the agent
   * who took it): the ICE servers and fresh TURN credentials for its peer connections.
   */
  getIceServers: (payload: CallRef, ack: (res: Ack<IceServers>) => void) => void;
  /**
   * Either party whose page reloaded during a call (or was opened again and found it in
   * `getLiveCall`): takes its side of the media up again on this socket (refused with
   * `conflict` when another tab of the user holds it). Answers with the caller (the student).
   * When the answering side resumes (the agent of an inbound call, the student of a callback),
   * the offering side is told `callResumed` and offers again from a new peer connection; the
   * offering side sends this first, then offers a new negotiation (reason `resume`).
   */
  resumeCall: (payload: CallRef, ack: (res: Ack<Pick<CallOffer, 'callId' | 'caller'>>) => void) => void;
  /**
   * Student or agent: the call in progress (answered, not over) this user is a party to, as
   * the server knows it, or null. A page opened again after its tab was closed asks this to
   * take its call up again; `heldElsewhere` says another of the user's tabs holds it.
   */
  getLiveCall: (payload: LiveCallQuery, ack: (res: Ack<LiveCall | null>) => void) => void;
  /**
   * Either party of a call in progress (accepted or connected): its latest quality sample,
   * every 2 s. The API adds it to the call's stored quality summary and tells supervisors.
   */
  reportQuality: (payload: QualityReport, ack: (res: Ack) => void) => void;
  /**
   * Agent who took the callback request, Available or Away: calls the student back (an
   * outbound call; the agent is On call). Refused with `invalid_state` when the student is not
   * signed in, `forbidden` for a request another agent took (or none did), `conflict` when
   * the student is in a call. The agent's tab then offers the media (`sendOffer`) while it rings.
   */
  placeCallback: (payload: PlaceCallbackMessage, ack: (res: Ack<CallbackCall>) => void) => void;
  /** Student: answers the callback ringing at them (`callbackRinging`); then answers the agent's offer. */
  acceptCallback: (payload: CallRef, ack: (res: Ack<CallbackCall>) => void) => void;
  /** Student: declines the callback ringing at them; the call ends unanswered and the request records an attempt. */
  declineCallback: (payload: CallRef, ack: (res: Ack) => void) => void;
}

/** Events the API sends. */
export interface ServerToClientEvents {
  /** To the caller: their place in line, the estimated wait or whether anyone is on duty changed. */
  queueUpdated: (payload: QueuePosition) => void;
  /** To an agent (all their tabs): a call is ringing for them. */
  callOffered: (payload: CallOffer) => void;
  /**
   * To an agent: the offer is gone (cancelled, rang out, taken in another tab, …). To a student's
   * other tabs: a callback ringing at them was answered in another tab (`taken_elsewhere`).
   */
  offerWithdrawn: (payload: CallRef & { reason: OfferWithdrawnReason }) => void;
  /** To the caller: an agent declined; the call stays in line for the next agent. */
  callDeclined: (payload: CallRef) => void;
  /**
   * To the caller: the call stopped ringing at an agent without an accept (declined, rang out,
   * the agent went away) and is back in line. A provisional answer of that agent is void: a
   * caller that applied one offers a new negotiation, from a new peer connection.
   */
  ringEnded: (payload: CallRef) => void;
  /**
   * To the offering side (the caller; on a callback, the agent): the answering side's page
   * reloaded and took the call up again; offer again from a new peer connection.
   */
  callResumed: (payload: CallRef) => void;
  /** To the caller: an agent accepted. */
  callAccepted: (payload: CallRef & { agent: { id: string; displayName: string } }) => void;
  /** To both parties: the call is over. */
  callEnded: (payload: CallEnded) => void;
  /** Relayed from the caller to the agent. */
  offerRelayed: (payload: OfferMessage) => void;
  /** Relayed from the agent to the caller. */
  answerRelayed: (payload: AnswerMessage) => void;
  /** Relayed between the call's two parties. */
  candidateRelayed: (payload: CandidateMessage) => void;
  /** To the agent (all tabs) and supervisors: an agent's state changed. */
  agentStatusChanged: (payload: AgentStatus) => void;
  /**
   * To supervisors: the calls waiting or in progress changed; to agents: the calls waiting or
   * the longest wait changed (an agent's copy of `callsInProgress` may be older). Several
   * changes in one tick are sent once, the last one always; also sent once to each of their
   * sockets on connect.
   */
  queueChanged: (payload: QueueSnapshot) => void;
  /** To supervisors: a call in progress reported a new quality sample (the live board). */
  callQualityChanged: (payload: CallQualityChange) => void;
  /** To the student (all tabs): an agent calls them back; Accept (`acceptCallback`) or Decline. */
  callbackRinging: (payload: CallbackCall) => void;
  /** To the agent (all tabs): the student accepted the callback; their answer follows. */
  callbackAccepted: (payload: CallRef & { student: { id: string; displayName: string } }) => void;
  /** To agents and supervisors: a callback request changed (taken, attempt, call placed or ended, done). */
  callbackChanged: (payload: CallbackRequest) => void;
}
