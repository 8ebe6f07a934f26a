/**
 * Calls in the portal: the socket to the API and the WebRTC media of each call.
 *
 * How a call is set up (the bug this library exists for: an agent's peer connection only
 * exists after Accept, so what the caller sends earlier must be kept):
 *
 * 1. Sign-in: `SignalingClient.connect()` (token from the `SIGNALING_AUTH` function the
 *    portal provides); sign-out: `disconnect()`.
 * 2. Student: `Softphone.placeCall()` opens the microphone (refused → `MicrophoneError`,
 *    nothing placed), sends `requestCall`, asks for the call's ICE servers (`getIceServers`:
 *    STUN/TURN with fresh credentials, and the transport policy), creates the peer
 *    connection and the offer, sends it and trickles ICE candidates while the call waits
 *    and rings.
 * 3. Agent: from `callOffered$` on, the call's offer and candidates are collected in a
 *    per-call `CallInbox` (`callSignals`: that call only, duplicates dropped, candidates
 *    after their offer, held by `bufferUntil` until Accept, dropped when the offer is
 *    withdrawn or the call ends).
 * 4. Agent clicks Accept: `Softphone.acceptCall(offer)` opens the microphone and fetches the
 *    call's ICE servers, opens the peer connection, sends `acceptCall` (with the answer made
 *    ahead by `prepareAccept`, when there is one), then releases the inbox: the offer is applied, the held
 *    candidates added in order, the answer sent unless it went with the accept; later messages pass straight through.
 * 5. Both sides: `CallSession.state` goes `connecting` → `connected` (reported once with
 *    `reportMedia`), or `failed` when ICE fails or media is not up within
 *    `mediaTimeoutMs`; `ended` on `callEnded`/`hangUp()`. Play `remoteStream` in an
 *    `<audio autoplay>`; `setMuted()` sends silence. The peer connection and microphone
 *    are released whatever ends the call.
 * 6. Negotiations: every offer, answer and candidate carries a `negotiationId` (the caller
 *    makes a new one per offer; the agent answers with the offer's). The inbox passes only
 *    the current negotiation (`currentNegotiation`): a newer offer replaces it, late messages
 *    of a replaced one are dropped, messages without an id are the current one's. The caller
 *    starts a later negotiation with `CallSession.renegotiate()` (`iceRestart`, or
 *    `freshConnection` for a far end on a new peer connection); the agent applies it on its
 *    live peer connection, or on a new one when the offer comes from a new one. A reloaded
 *    page takes its call up again with `Softphone.resumeCall()`.
 * 7. Callbacks (outbound calls): the agent's `Softphone.placeCallback()` offers as a student's
 *    `placeCall()` does (role `caller`), while the call rings at the student; the student's
 *    inbox opens on `callbackRinging$` and holds the offer and candidates until
 *    `Softphone.acceptCallback()` (role `agent`: it answers), as an agent's until Accept.
 *
 * Provide `SIGNALING_AUTH` (also importable alone from `@switchboard/call-domain/signaling/auth`,
 * which keeps socket.io-client out of a bundle that only provides it); optionally `SIGNALING_OPTIONS` (timeouts; ICE servers come from the server per call),
 * `MICROPHONE`, `SIGNALING_SOCKET_FACTORY` (tests).
 */
export { bufferUntil } from './buffer-until';
export { CallInbox, CallInboxes } from './call-inbox';
export { type AwaitedDescription, type CallSignalsOptions, callSignals, currentNegotiation } from './call-signals';
export { CallSession } from './call-session';
export {
  type CallPeer,
  type CallRole,
  type CallSessionInit,
  type CallSessionState,
  type CallSignaling,
  type OfferTiming,
  type RenegotiateOptions,
} from './call-session-init';
export { MICROPHONE, openMicrophone } from './microphone';
export { type ConnectionState, SignalingClient } from './signaling-client';
export { MicrophoneError, type MicrophoneFailure, SignalingError } from './signaling-errors';
export {
  type AckData,
  DEFAULT_SIGNALING_OPTIONS,
  type EventPayload,
  type RequestPayload,
  SIGNALING_OPTIONS,
  SIGNALING_SOCKET_FACTORY,
  type SignalingOptions,
  type SignalingRequest,
  type SignalingSocket,
  connectSameOrigin,
} from './signaling-socket';
export { SIGNALING_AUTH } from './signaling-auth';
export { Softphone } from './softphone';
