import type { AgentStatus, CallId, CallOffer, OfferWithdrawnReason } from '@switchboard/call-domain';
import { type CallSession, MicrophoneError } from '@switchboard/call-domain/signaling';
import { type CallLeg, NO_CALL, legOver, liveLeg, messageOf, sessionOf, startingLeg } from '../call-leg';

/** An offer taken back, for the page to announce once (`seq` tells two alike apart). */
export interface Withdrawal {
  callId: CallId;
  reason: OfferWithdrawnReason;
  seq: number;
}

/** While an offer is being accepted: the offer, and whether it was withdrawn meanwhile. */
export interface Accepting {
  offer: CallOffer;
  /** Whether the offer was taken back while the accept was in flight. */
  withdrawn: boolean;
}

/**
 * Everything the agent desk knows, in one value; changed only by the functions below.
 * `call` is this page's call (`starting` while an offer is being accepted); `offer` rings
 * beside it (the server offers nothing while the agent is on a call).
 */
export interface DeskState {
  /** The agent's status as the server last said (null until it did). */
  readonly status: AgentStatus | null;
  /** The call ringing for this agent, while it rings. */
  readonly offer: CallOffer | null;
  readonly call: CallLeg<Accepting>;
  /** The last offer this page saw, kept after it rang (its caller's name, and whether another tab took it). */
  readonly lastOffer: { readonly offer: CallOffer; readonly takenElsewhere: boolean } | null;
  /** The last offer taken back before the agent answered. */
  readonly withdrawal: Withdrawal | null;
  /** Why the last action failed. */
  readonly error: string | null;
  /** Why the microphone could not be opened. */
  readonly microphoneError: MicrophoneError | null;
  /** Whether the microphone was opened once since Available (the browser has asked). */
  readonly microphoneChecked: boolean;
  /** Whether the hang-up of an interrupted call is on its way. */
  readonly hangingUpInterrupted: boolean;
}

/** A desk that knows nothing: at start, and after signing out. */
export const EMPTY_DESK: DeskState = {
  status: null,
  offer: null,
  call: NO_CALL,
  lastOffer: null,
  withdrawal: null,
  error: null,
  microphoneError: null,
  microphoneChecked: false,
  hangingUpInterrupted: false,
};

/** The server said the agent's status. */
export function statusChanged(desk: DeskState, status: AgentStatus): DeskState {
  return { ...desk, status };
}

/** A call is offered to this agent: it rings. */
export function offered(desk: DeskState, offer: CallOffer): DeskState {
  return { ...desk, offer, lastOffer: { offer, takenElsewhere: false } };
}

/** An offer was taken back: it stops ringing (announced once), or the accept in flight learns it. */
export function offerWithdrawn(desk: DeskState, callId: CallId, reason: OfferWithdrawnReason): DeskState {
  let next = desk;
  if (next.call.phase === 'starting' && next.call.offer.callId === callId) next = { ...next, call: startingLeg({ offer: next.call.offer, withdrawn: true }) };
  const seen = next.lastOffer;
  if (reason === 'taken_elsewhere' && seen?.offer.callId === callId) next = { ...next, lastOffer: { ...seen, takenElsewhere: true } };
  if (next.offer?.callId !== callId) return next;
  return { ...next, offer: null, withdrawal: { callId, reason, seq: (next.withdrawal?.seq ?? 0) + 1 } };
}

/** Accept was clicked: the ringing offer becomes the call being accepted. */
export function acceptStarted(desk: DeskState): DeskState {
  if (!desk.offer) return desk;
  return { ...desk, offer: null, error: null, call: startingLeg({ offer: desk.offer, withdrawn: false }) };
}

/** The accept went through: the call's session is up. */
export function accepted(desk: DeskState, session: CallSession): DeskState {
  return { ...desk, call: liveLeg(session) };
}

/**
 * The accept failed. A refused microphone accepts nothing: the call rings here again, unless
 * it was withdrawn meanwhile.
 */
export function acceptFailed(desk: DeskState, error: unknown): DeskState {
  if (desk.call.phase !== 'starting') return { ...desk, error: messageOf(error) };
  const { offer, withdrawn } = desk.call;
  const refused = error instanceof MicrophoneError ? error : null;
  return {
    ...desk,
    call: NO_CALL,
    error: messageOf(error),
    microphoneError: refused ?? desk.microphoneError,
    offer: refused && !withdrawn ? offer : desk.offer,
  };
}

/** Decline was clicked: the offer stops ringing. */
export function declined(desk: DeskState): DeskState {
  return { ...desk, offer: null };
}

/** An action starts: the last failure is no longer shown. */
export function actionStarted(desk: DeskState): DeskState {
  return desk.error === null ? desk : { ...desk, error: null };
}

/** An action failed with `error`. */
export function actionFailed(desk: DeskState, error: unknown): DeskState {
  return { ...desk, error: messageOf(error) };
}

/** Hang up on a failed call: the page stops showing it. */
export function failedCallDismissed(desk: DeskState): DeskState {
  return { ...desk, call: legOver(desk.call) };
}

/** The hang-up of an interrupted call started (true) or finished (false). */
export function interruptedHangUp(desk: DeskState, pending: boolean): DeskState {
  return { ...desk, hangingUpInterrupted: pending };
}

/** The microphone opened (the browser has asked), or was refused with `error`. */
export function microphoneChecked(desk: DeskState, error: MicrophoneError | null): DeskState {
  return { ...desk, microphoneChecked: error === null, microphoneError: error };
}

/**
 * The call the page shows in the call panel: the peer's name and the session once the accept
 * went through (null while it is being accepted). Gone once the call ended or a failed call
 * was dismissed. Reads the session's signals.
 */
export function callOnScreen(call: CallLeg<Accepting>): { callId: CallId; peerName: string; session: CallSession | null } | null {
  if (call.phase === 'starting') return { callId: call.offer.callId, peerName: call.offer.caller.displayName, session: null };
  if (call.phase !== 'live' || call.session.state() === 'ended') return null;
  return { callId: call.session.callId, peerName: call.session.peer()?.displayName ?? 'Caller', session: call.session };
}

/** The call id this page holds media for (or is accepting), if any. */
export function heldCallId(call: CallLeg<Accepting>): CallId | null {
  return call.phase === 'starting' ? call.offer.callId : (sessionOf(call)?.callId ?? null);
}
