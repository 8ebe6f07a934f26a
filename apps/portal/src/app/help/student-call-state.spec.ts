import { type CallEnded, NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { MicrophoneError, SignalingError } from '@switchboard/call-domain/signaling';
import { CALL_FAILED_MESSAGE } from '@switchboard/ui';
import { sessionStandIn } from '../testing/session-stand-in';
import {
  NO_STUDENT_CALL,
  RELOADED_CALL_MESSAGE,
  agentDeclined,
  callEnded,
  callbackRefused,
  callbackSending,
  callbackSent,
  earlierCallEnded,
  endMessage,
  hungUp,
  phaseOf,
  placeRefused,
  placed,
  placing,
} from './student-call-state';

const agent = { id: 'u-ada', displayName: 'Ada Agent' };
const ended = (patch: Partial<CallEnded> = {}): CallEnded => ({ callId: 'call-1', outcome: 'answered', endedBy: 'agent', reason: 'hung_up', ...patch });

/** A call placed and waiting in line, with its session's signals. */
function waiting() {
  const { session, state: media, peer } = sessionStandIn('call-1');
  return { state: placed(placing(), session), media, peer };
}

describe('student call state', () => {
  it('is idle with nothing to say at first', () => {
    expect(phaseOf(NO_STUDENT_CALL)).toBe('idle');
    expect(NO_STUDENT_CALL.notice).toBeNull();
  });

  it('places a call with nothing left of the last one (notice, decline, callback)', () => {
    expect(phaseOf(placing())).toBe('placing');
    expect(placing()).toEqual({ ...NO_STUDENT_CALL, call: { phase: 'starting' } });
  });

  it('waits in line once placed, talks once an agent answered, follows the media', () => {
    const { state, peer, media } = waiting();
    expect(phaseOf(state)).toBe('waiting');
    peer.set(agent);
    expect(phaseOf(state)).toBe('talking');
    media.set('failed');
    expect(phaseOf(state)).withContext('an answered call that failed stays on screen').toBe('talking');
    media.set('ended');
    expect(phaseOf(state)).toBe('idle');
  });

  it('is idle again when a call that was never answered fails', () => {
    const { state, media } = waiting();
    media.set('failed');
    expect(phaseOf(state)).toBe('idle');
  });

  it('says why a call could not be placed', () => {
    const refused = new MicrophoneError('denied');
    expect(placeRefused(placing(), refused)).toEqual({ ...NO_STUDENT_CALL, microphoneError: refused });
    const noAgents = new SignalingError({ code: 'no_agents_available', message: 'No agent is signed in.' });
    expect(placeRefused(placing(), noAgents).notice).toBe(NO_AGENTS_MESSAGE);
    expect(placeRefused(placing(), new Error('Too many calls.')).notice).toBe('Too many calls.');
    expect(placeRefused(placing(), 'odd').notice).toBe('The call could not be placed.');
    expect(phaseOf(placeRefused(placing(), refused))).toBe('idle');
  });

  it('notes a decline of this call only', () => {
    const { state } = waiting();
    expect(agentDeclined(state, 'call-9')).toBe(state);
    expect(agentDeclined(state, 'call-1').declined).toBeTrue();
  });

  describe('hanging up', () => {
    it('says the student left the line, or ended the call once answered', () => {
      const { state } = waiting();
      const left = hungUp(state, { failed: false, answered: false });
      expect(left.notice).toBe('You left the line.');
      expect(phaseOf(left)).toBe('idle');
      expect(hungUp(state, { failed: false, answered: true }).notice).toBe('You ended the call.');
      expect(hungUp(state, { failed: true, answered: true }).notice).toBe(CALL_FAILED_MESSAGE);
    });

    it('does nothing without a live call', () => {
      expect(hungUp(NO_STUDENT_CALL, { failed: false, answered: false })).toBe(NO_STUDENT_CALL);
    });

    it("keeps the student's own words when the server confirms the end", () => {
      const left = hungUp(waiting().state, { failed: false, answered: false });
      expect(callEnded(left, ended({ endedBy: 'caller', reason: 'cancelled', outcome: 'abandoned' })).notice).toBe('You left the line.');
    });
  });

  describe('callEnded', () => {
    it("says how this call ended, and ignores another call's end", () => {
      const { state } = waiting();
      expect(callEnded(state, ended({ callId: 'call-9' }))).toBe(state);
      const over = callEnded(state, ended());
      expect(over.notice).toBe('The agent ended the call.');
      expect(phaseOf(over)).toBe('idle');
      expect(over.callback).toBeNull();
    });

    it('offers a callback after an unanswered call, which can be sent once', () => {
      const unanswered = callEnded(waiting().state, ended({ outcome: 'unanswered', endedBy: 'system', reason: 'max_wait' }));
      expect(phaseOf(unanswered)).toBe('unanswered');
      expect(unanswered.callback).toEqual({ callId: 'call-1', state: 'open', error: null });
      const sending = callbackSending(unanswered);
      expect(sending.callback?.state).toBe('sending');
      expect(callbackSending(sending)).toBe(sending);
      expect(callbackSent(sending).callback).toEqual({ callId: 'call-1', state: 'sent', error: null });
      expect(callbackRefused(sending, new Error('Too many requests.')).callback).toEqual({ callId: 'call-1', state: 'open', error: 'Too many requests.' });
    });
  });

  it('says a call from before the reload was ended, unless a call is on', () => {
    expect(earlierCallEnded(NO_STUDENT_CALL).notice).toBe(RELOADED_CALL_MESSAGE);
    const { state } = waiting();
    expect(earlierCallEnded(state)).toBe(state);
    expect(earlierCallEnded(placing()).notice).toBeNull();
  });

  it('tells the student how each call ended', () => {
    expect(endMessage(ended({ outcome: 'unanswered', endedBy: 'system', reason: 'max_wait' }))).toContain('You can ask to be called back.');
    expect(endMessage(ended({ outcome: 'failed', reason: 'media_failed' }))).toBe(CALL_FAILED_MESSAGE);
    expect(endMessage(ended({ reason: 'disconnected' }))).toBe("The call was cut off: the agent's connection was lost.");
    expect(endMessage(ended({ reason: 'disconnected', endedBy: 'caller' }))).toBe('The call was cut off: the connection was lost.');
    expect(endMessage(ended({ endedBy: 'caller' }))).toBe('You ended the call.');
    expect(endMessage(ended({ endedBy: 'caller', reason: 'cancelled', outcome: 'abandoned' }))).toBe('You left the line.');
    expect(endMessage(ended({ endedBy: 'system', reason: 'caller_left', outcome: 'abandoned' }))).toBe('The call ended.');
  });
});
