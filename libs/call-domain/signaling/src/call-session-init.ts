import type { CallId, QueuePosition } from '@switchboard/call-domain';
import type { CallInbox } from './call-inbox';
import type { SignalingClient } from './signaling-client';

/** Where a call's media stands. `failed` and `ended` are final. */
export type CallSessionState = 'connecting' | 'connected' | 'failed' | 'ended';

/** Which end of the call this browser is. */
export type CallRole = 'caller' | 'agent';

/** The other party, as far as it is known. */
export interface CallPeer {
  id: string;
  displayName: string;
}

/** The part of {@link SignalingClient} a call session uses. */
export type CallSignaling = Pick<
  SignalingClient,
  'sendOffer' | 'sendAnswer' | 'sendCandidate' | 'reportMedia' | 'hangUp' | 'cancelCall' | 'callEnded$' | 'callAccepted$' | 'queueUpdated$'
>;

/** What a {@link CallSession} is made of; the {@link Softphone} assembles it. */
export interface CallSessionInit {
  callId: CallId;
  role: CallRole;
  /** The open microphone; the session stops its tracks when the call ends. */
  microphone: MediaStream;
  /** The call's inbound messages, held until the session starts. */
  inbox: CallInbox;
  signaling: CallSignaling;
  rtcConfiguration: RTCConfiguration;
  /** How long media may take to connect once the call is accepted. */
  mediaTimeoutMs: number;
  /** The other party, when already known (the agent knows the caller). */
  peer?: CallPeer | null;
  /** The caller's first place in line. */
  queuePosition?: QueuePosition | null;
  /**
   * Caller: when to create the SDP offer. `early` (the product): at once, so the offer and ICE
   * gathering are done while the call waits and rings. `late`: only once an agent accepted;
   * a baseline for the call-setup benchmark, never the product's behaviour.
   */
  offer?: OfferTiming;
  /**
   * Whether the call was accepted before this session: a page taking its call up again after
   * a reload (see `Softphone.resumeCall`). A resumed caller offers a new negotiation at once.
   */
  resumed?: boolean;
}

/** How {@link CallSession.renegotiate} makes its new offer; none of them: a plain re-offer. */
export interface RenegotiateOptions {
  /** Whether to ask for new ICE credentials (`createOffer({ iceRestart: true })`): a network path changed or broke. */
  iceRestart?: boolean;
  /**
   * Whether to offer from a new `RTCPeerConnection` (the old one is closed): the far end lost
   * its own, e.g. the agent's page reloaded and answers on a new one.
   */
  freshConnection?: boolean;
}

/** When the caller creates its offer; see {@link CallSessionInit.offer}. */
export type OfferTiming = 'early' | 'late';
