import type { AgentStatus, CallOffer } from '@switchboard/call-domain';
import { MicrophoneError } from '@switchboard/call-domain/signaling';
import { sessionStandIn } from '../testing/session-stand-in';
import {
  type DeskState,
  EMPTY_DESK,
  acceptFailed,
  acceptStarted,
  accepted,
  actionFailed,
  actionStarted,
  callOnScreen,
  declined,
  failedCallDismissed,
  heldCallId,
  microphoneChecked,
  offerWithdrawn,
  offered,
  statusChanged,
} from './desk-state';

const offer = (callId = 'call-1'): CallOffer => ({ callId, caller: { id: 'u-sam', displayName: 'Sam Student' }, ringsOutAt: '2026-11-02T10:00:20.000Z' });
const ringing = (callId = 'call-1'): DeskState => offered(EMPTY_DESK, offer(callId));

describe('desk state', () => {
  it('keeps the status the server said', () => {
    const status = { agentId: 'u-ada', state: 'available' } as AgentStatus;
    expect(statusChanged(EMPTY_DESK, status).status).toBe(status);
  });

  it('rings an offer, and remembers it after it rang', () => {
    const desk = declined(ringing());
    expect(desk.offer).toBeNull();
    expect(desk.lastOffer).toEqual({ offer: offer(), takenElsewhere: false });
  });

  describe('offerWithdrawn', () => {
    it('stops the ringing offer and announces it once, numbered', () => {
      const first = offerWithdrawn(ringing(), 'call-1', 'cancelled');
      expect(first.offer).toBeNull();
      expect(first.withdrawal).toEqual({ callId: 'call-1', reason: 'cancelled', seq: 1 });
      const second = offerWithdrawn(offered(first, offer('call-2')), 'call-2', 'cancelled');
      expect(second.withdrawal).toEqual({ callId: 'call-2', reason: 'cancelled', seq: 2 });
    });

    it('announces nothing for another call, or one that no longer rings', () => {
      const desk = ringing();
      const other = offerWithdrawn(desk, 'call-9', 'rang_out');
      expect(other.offer).toEqual(offer());
      expect(other.withdrawal).toBeNull();
      expect(offerWithdrawn(declined(desk), 'call-1', 'rang_out').withdrawal).toBeNull();
    });

    it('remembers that another tab took the call', () => {
      expect(offerWithdrawn(ringing(), 'call-1', 'taken_elsewhere').lastOffer?.takenElsewhere).toBeTrue();
      expect(offerWithdrawn(ringing(), 'call-1', 'cancelled').lastOffer?.takenElsewhere).toBeFalse();
    });

    it('tells an accept in flight that its offer went', () => {
      const desk = offerWithdrawn(acceptStarted(ringing()), 'call-1', 'cancelled');
      expect(desk.call).toEqual({ phase: 'starting', offer: offer(), withdrawn: true });
      expect(desk.withdrawal).toBeNull();
    });
  });

  describe('accepting', () => {
    it('moves the ringing offer to the call being accepted, shown with the caller at once', () => {
      const desk = acceptStarted(actionFailed(ringing(), new Error('earlier')));
      expect(desk.offer).toBeNull();
      expect(desk.error).toBeNull();
      expect(callOnScreen(desk.call)).toEqual({ callId: 'call-1', peerName: 'Sam Student', session: null });
      expect(heldCallId(desk.call)).toBe('call-1');
    });

    it('accepts nothing without a ringing offer', () => {
      expect(acceptStarted(EMPTY_DESK)).toBe(EMPTY_DESK);
    });

    it('shows the session once accepted, until it ends', () => {
      const { session, state, peer } = sessionStandIn('call-1');
      const desk = accepted(acceptStarted(ringing()), session);
      expect(callOnScreen(desk.call)).toEqual({ callId: 'call-1', peerName: 'Caller', session });
      peer.set({ id: 'u-sam', displayName: 'Sam Student' });
      expect(callOnScreen(desk.call)?.peerName).toBe('Sam Student');
      state.set('ended');
      expect(callOnScreen(desk.call)).toBeNull();
      expect(heldCallId(desk.call)).toBe('call-1');
    });

    it('keeps a failed call on screen until dismissed', () => {
      const { session, state } = sessionStandIn('call-1');
      const desk = accepted(acceptStarted(ringing()), session);
      state.set('failed');
      expect(callOnScreen(desk.call)?.session).toBe(session);
      const dismissed = failedCallDismissed(desk);
      expect(callOnScreen(dismissed.call)).toBeNull();
      expect(heldCallId(dismissed.call)).toBe('call-1');
    });

    it('rings again when the microphone refused, unless the offer went meanwhile', () => {
      const refused = new MicrophoneError('denied');
      const again = acceptFailed(acceptStarted(ringing()), refused);
      expect(again.offer).toEqual(offer());
      expect(again.microphoneError).toBe(refused);
      expect(again.error).toBe(refused.message);
      expect(again.call.phase).toBe('none');
      const gone = acceptFailed(offerWithdrawn(acceptStarted(ringing()), 'call-1', 'cancelled'), refused);
      expect(gone.offer).toBeNull();
    });

    it('says why another failure happened, and rings nothing', () => {
      const desk = acceptFailed(acceptStarted(ringing()), new Error('The call was taken.'));
      expect(desk.offer).toBeNull();
      expect(desk.error).toBe('The call was taken.');
      expect(desk.microphoneError).toBeNull();
    });
  });

  it('clears the error when an action starts, and says what failed', () => {
    const failed = actionFailed(EMPTY_DESK, 'not an error');
    expect(failed.error).toBe('Something went wrong.');
    expect(actionStarted(failed).error).toBeNull();
    expect(actionStarted(EMPTY_DESK)).toBe(EMPTY_DESK);
  });

  it('remembers the microphone check, and forgets a refusal once it opened', () => {
    const refused = microphoneChecked(EMPTY_DESK, new MicrophoneError('unavailable'));
    expect(refused.microphoneChecked).toBeFalse();
    expect(refused.microphoneError?.reason).toBe('unavailable');
    const opened = microphoneChecked(refused, null);
    expect(opened.microphoneChecked).toBeTrue();
    expect(opened.microphoneError).toBeNull();
  });
});
