import type { CallId, OfferReason, QueuePosition } from '@switchboard/call-domain';
import type { CallInbox } from './call-inbox';
import type { SignalingClient } from './signaling-client';

/**
 * Where a call's media stands. `reconnecting`: it had connected and the network path broke
 * (the caller restarts ICE; it goes back to `connected` by itself). `failed` and `ended` are final.
 */
export type CallSessionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'ended';

/**
 * Which end of the call's media this browser is: `caller` offers, `agent` answers. On a
 * student's call that is the student and the agent; on an agent's callback (an outbound call)
 * the agent offers (`caller`) and the student answers (`agent`).
 */
export type CallRole = 'caller' | 'agent';

/** The other party, as far as it is known. */
export interface CallPeer {
  id: string;
  displayName: string;
}

/** The part of {@link SignalingClient} a call session uses. */
export type CallSignaling = Pick<
  SignalingClient,
  | 'sendOffer'
  | 'sendAnswer'
  | 'sendCandidate'
  | 'reportMedia'
  | 'reportQuality'
  | 'hangUp'
  | 'cancelCall'
  | 'callEnded$'
  | 'callAccepted$'
  | 'callResumed$'
  | 'ringEnded$'
  | 'queueUpdated$'
  | 'connectionState$'
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
  /**
   * The first peer connection, made earlier with `rtcConfiguration` and not used yet (the
   * agent's, made while the call rang so its ICE candidates are already gathered); none: the
   * session makes it.
   */
  peerConnection?: RTCPeerConnection;
  /**
   * Fresh ICE servers for the call (new TURN credentials), asked before an ICE restart; the
   * current configuration stays when absent or when it fails.
   */
  refreshRtcConfiguration?: () => Promise<RTCConfiguration>;
  /** How long media may take to connect once the call is accepted, or to come back once it broke. */
  mediaTimeoutMs: number;
  /** Caller: how long ICE may stay `disconnected` before an ICE restart (`failed` restarts at once). */
  iceRestartAfterMs?: number;
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
  /**
   * Why the caller offers again, for the call's timeline: `ice_restart` (the network path
   * broke) or `resume` (a page took the call up again after a reload).
   */
  reason?: OfferReason;
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
