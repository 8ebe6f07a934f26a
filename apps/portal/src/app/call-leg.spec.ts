import { NO_CALL, TabMemory, isLegOf, legOver, liveLeg, messageOf, sessionOf, startingLeg } from './call-leg';
import { sessionStandIn } from './testing/session-stand-in';

describe('call leg', () => {
  it('has a session only once live, and keeps it when over', () => {
    const { session } = sessionStandIn('call-1');
    expect(sessionOf(NO_CALL)).toBeNull();
    expect(sessionOf(startingLeg({ note: 'kept' }))).toBeNull();
    expect(startingLeg({ note: 'kept' })).toEqual({ phase: 'starting', note: 'kept' });
    const live = liveLeg(session);
    expect(sessionOf(live)).toBe(session);
    const over = legOver(live);
    expect(over).toEqual({ phase: 'over', session });
    expect(isLegOf(over, 'call-1')).toBeTrue();
    expect(isLegOf(over, 'call-2')).toBeFalse();
  });

  it('is over only from live', () => {
    const starting = startingLeg({});
    expect(legOver(NO_CALL)).toBe(NO_CALL);
    expect(legOver(starting)).toBe(starting);
  });

  it("says an error's message, or the fallback", () => {
    expect(messageOf(new Error('Refused.'))).toBe('Refused.');
    expect(messageOf('odd')).toBe('Something went wrong.');
    expect(messageOf(undefined, 'The request could not be sent.')).toBe('The request could not be sent.');
  });

  it("keeps one call id in this tab's sessionStorage", () => {
    const memory = new TabMemory('switchboard.test.call');
    memory.remember('call-1');
    expect(sessionStorage.getItem('switchboard.test.call')).toBe('call-1');
    expect(new TabMemory('switchboard.test.call').recall()).toBe('call-1');
    memory.remember(null);
    expect(memory.recall()).toBeNull();
  });
});
