import { type CallEnded, type CallId, NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { type CallSession, MicrophoneError, SignalingError } from '@switchboard/call-domain/signaling';
import { CALL_FAILED_MESSAGE } from '@switchboard/ui';
import { type CallLeg, NO_CALL, isLegOf, legOver, liveLeg, messageOf, startingLeg } from '../call-leg';

/**
 * Where the student's call stands. `idle`: no call (the last one's outcome, if any, is in
 * `notice`); `placing`: microphone and request in flight; `waiting`: in line; `talking`: an
 * agent accepted; `unanswered`: the last call reached the maximum wait, a callback may be asked.
 */
export type StudentCallPhase = 'idle' | 'placing' | 'waiting' | 'talking' | 'unanswered';

/** Where a callback request stands, after a call ended unanswered. */
export type CallbackState = 'open' | 'sending' | 'sent';

/** The callback the student may ask for after the call `callId` went unanswered. */
export interface CallbackRequest {
  readonly callId: CallId;
  readonly state: CallbackState;
  /** Why the last request was refused. */
  readonly error: string | null;
}

/** Everything the student's call knows, in one value; changed only by the functions below. */
export interface StudentCallState {
  /** The call (`starting` while it is being placed). */
  readonly call: CallLeg;
  /** What the last call's end, or a refused call, means for the student. */
  readonly notice: string | null;
  /** Why the microphone could not be opened for the last attempt (no call was placed). */
  readonly microphoneError: MicrophoneError | null;
  /** Whether an agent declined the waiting call (it keeps its place in line). */
  readonly declined: boolean;
  /** Set when the last call went unanswered. */
  readonly callback: CallbackRequest | null;
}

/** No call yet. */
export const NO_STUDENT_CALL: StudentCallState = { call: NO_CALL, notice: null, microphoneError: null, declined: false, callback: null };

/** Shown when a call left over from before a reload of the page was ended. */
export const RELOADED_CALL_MESSAGE = 'Your earlier call was ended because the page was reloaded.';

/**
 * Where the call stands (see {@link StudentCallPhase}). Reads the session's signals: a failed
 * call that was answered stays on screen (the panel says it failed) until the server ends it
 * or the student dismisses it with Hang up.
 */
export function phaseOf({ call, callback }: StudentCallState): StudentCallPhase {
  if (call.phase === 'starting') return 'placing';
  const state = call.phase === 'live' ? call.session.state() : 'ended';
  if (state === 'ended') return callback ? 'unanswered' : 'idle';
  const answered = call.phase === 'live' && call.session.peer() !== null;
  if (state === 'failed') return answered ? 'talking' : 'idle';
  return answered ? 'talking' : 'waiting';
}

/** Call support was clicked: what the last call left on the page goes. */
export function placing(): StudentCallState {
  return { ...NO_STUDENT_CALL, call: startingLeg({}) };
}

/** The call was placed: it waits in line. */
export function placed(state: StudentCallState, session: CallSession): StudentCallState {
  return { ...state, call: liveLeg(session) };
}

/** The call could not be placed: why, as a microphone error or a notice. */
export function placeRefused(state: StudentCallState, error: unknown): StudentCallState {
  const base = { ...state, call: NO_CALL };
  if (error instanceof MicrophoneError) return { ...base, microphoneError: error };
  if (error instanceof SignalingError && error.code === 'no_agents_available') return { ...base, notice: NO_AGENTS_MESSAGE };
  return { ...base, notice: messageOf(error, 'The call could not be placed.') };
}

/** An agent declined the call `callId`; it keeps its place in line. */
export function agentDeclined(state: StudentCallState, callId: CallId): StudentCallState {
  return isLegOf(state.call, callId) ? { ...state, declined: true } : state;
}

/**
 * The student clicked Cancel call (`answered` false) or Hang up, or dismissed a failed call:
 * the page says so at once.
 */
export function hungUp(state: StudentCallState, { failed, answered }: { failed: boolean; answered: boolean }): StudentCallState {
  if (state.call.phase !== 'live') return state;
  const notice = failed ? CALL_FAILED_MESSAGE : answered ? 'You ended the call.' : 'You left the line.';
  return { ...state, call: legOver(state.call), notice };
}

/** The server ended the call; an unanswered one may be called back. */
export function callEnded(state: StudentCallState, ended: CallEnded): StudentCallState {
  if (!isLegOf(state.call, ended.callId)) return state;
  const callback = ended.outcome === 'unanswered' ? { callId: ended.callId, state: 'open' as const, error: null } : state.callback;
  // The student's own hang-up already said so; the server's confirmation adds nothing.
  const notice = ended.endedBy !== 'caller' || !state.notice ? endMessage(ended) : state.notice;
  return { ...state, call: legOver(state.call), callback, notice };
}

/** This tab's call from before a reload was ended: the page says so unless a call is on. */
export function earlierCallEnded(state: StudentCallState): StudentCallState {
  const phase = phaseOf(state);
  return phase === 'idle' || phase === 'unanswered' ? { ...state, notice: RELOADED_CALL_MESSAGE } : state;
}

/** The callback request is on its way (only from `open`). */
export function callbackSending(state: StudentCallState): StudentCallState {
  const { callback } = state;
  return callback?.state === 'open' ? { ...state, callback: { ...callback, state: 'sending', error: null } } : state;
}

/** The help desk took the callback request. */
export function callbackSent(state: StudentCallState): StudentCallState {
  return state.callback ? { ...state, callback: { ...state.callback, state: 'sent', error: null } } : state;
}

/** The callback request was refused: it may be sent again. */
export function callbackRefused(state: StudentCallState, error: unknown): StudentCallState {
  const message = messageOf(error, 'The request could not be sent.');
  return state.callback ? { ...state, callback: { ...state.callback, state: 'open', error: message } } : state;
}

/** What the student is told when their call ends. */
export function endMessage({ outcome, endedBy, reason }: CallEnded): string {
  if (outcome === 'unanswered') return 'No agent could take your call in time. You can ask to be called back.';
  if (outcome === 'failed' || reason === 'media_failed') return CALL_FAILED_MESSAGE;
  if (reason === 'disconnected') return endedBy === 'agent' ? "The call was cut off: the agent's connection was lost." : 'The call was cut off: the connection was lost.';
  if (endedBy === 'agent') return 'The agent ended the call.';
  if (endedBy === 'caller') return reason === 'hung_up' ? 'You ended the call.' : 'You left the line.';
  return 'The call ended.';
}
