import { CALL_START_STATES, canCallMove, describeEnd, durationsOf, outcomeOf, type EndFacts } from './call-transitions';

describe('call transitions', () => {
  it('follow queued → ringing → accepted → connected → ended', () => {
    expect(canCallMove('queued', 'ringing')).toBeTrue();
    expect(canCallMove('ringing', 'accepted')).toBeTrue();
    expect(canCallMove('accepted', 'connected')).toBeTrue();
    expect(canCallMove('connected', 'ended')).toBeTrue();
  });

  it('let a ringing call go back to the queue, and nothing leave ended', () => {
    expect(canCallMove('ringing', 'queued')).toBeTrue();
    expect(canCallMove('queued', 'accepted')).toBeFalse();
    expect(canCallMove('accepted', 'queued')).toBeFalse();
    expect(canCallMove('ended', 'queued')).toBeFalse();
    expect(canCallMove('connected', 'accepted')).toBeFalse();
  });
});

describe('outbound call transitions (callbacks)', () => {
  it('start ringing at the student, who accepts; then as any call', () => {
    expect(CALL_START_STATES).toEqual({ inbound: 'queued', outbound: 'ringing' });
    expect(canCallMove('ringing', 'accepted', 'outbound')).toBeTrue();
    expect(canCallMove('ringing', 'ended', 'outbound')).toBeTrue();
    expect(canCallMove('accepted', 'connected', 'outbound')).toBeTrue();
    expect(canCallMove('connected', 'ended', 'outbound')).toBeTrue();
  });

  it('never wait in the queue', () => {
    expect(canCallMove('ringing', 'queued', 'outbound')).toBeFalse();
    expect(canCallMove('queued', 'ringing', 'outbound')).toBeFalse();
    expect(canCallMove('ended', 'ringing', 'outbound')).toBeFalse();
  });

  it('end unanswered when the student never accepted, whatever ended them', () => {
    const facts: EndFacts = { state: 'ringing', reason: 'cancelled', queuedAt: '2026-01-01T10:00:00.000Z', endedAt: '2026-01-01T10:00:30.000Z', shortAbandonSeconds: 5, direction: 'outbound' };
    expect(outcomeOf(facts)).toBe('unanswered');
    expect(outcomeOf({ ...facts, endedAt: '2026-01-01T10:00:01.000Z', reason: 'caller_left' })).toBe('unanswered');
    expect(outcomeOf({ ...facts, state: 'connected', reason: 'hung_up' })).toBe('answered');
  });
});

describe('outcomeOf', () => {
  const base: EndFacts = {
    state: 'queued',
    reason: 'cancelled',
    queuedAt: '2026-01-01T10:00:00.000Z',
    endedAt: '2026-01-01T10:00:30.000Z',
    shortAbandonSeconds: 5,
  };

  it('is abandoned when the caller leaves after the short-abandon window', () => {
    expect(outcomeOf(base)).toBe('abandoned');
    expect(outcomeOf({ ...base, state: 'ringing', reason: 'caller_left' })).toBe('abandoned');
  });

  it('is short_abandon within the window (inclusive)', () => {
    expect(outcomeOf({ ...base, endedAt: '2026-01-01T10:00:05.000Z' })).toBe('short_abandon');
    expect(outcomeOf({ ...base, endedAt: '2026-01-01T10:00:05.001Z' })).toBe('abandoned');
  });

  it('is unanswered at the maximum wait', () => {
    expect(outcomeOf({ ...base, reason: 'max_wait' })).toBe('unanswered');
    expect(outcomeOf({ ...base, state: 'ringing', reason: 'max_wait', endedAt: base.queuedAt })).toBe('unanswered');
  });

  it('is failed when accepted but media never connected', () => {
    expect(outcomeOf({ ...base, state: 'accepted', reason: 'media_failed' })).toBe('failed');
    expect(outcomeOf({ ...base, state: 'accepted', reason: 'hung_up' })).toBe('failed');
  });

  it('is answered once media connected, however it ends', () => {
    expect(outcomeOf({ ...base, state: 'connected', reason: 'hung_up' })).toBe('answered');
    expect(outcomeOf({ ...base, state: 'connected', reason: 'disconnected' })).toBe('answered');
  });

  it('refuses a call that already ended', () => {
    expect(() => outcomeOf({ ...base, state: 'ended' })).toThrowError(/already ended/);
  });
});

describe('durationsOf', () => {
  it('measures queue time to the answer and talk time from media connecting', () => {
    const call = { queuedAt: '2026-01-01T10:00:00.000Z', answeredAt: '2026-01-01T10:00:04.000Z', connectedAt: '2026-01-01T10:00:05.000Z' };
    expect(durationsOf(call, '2026-01-01T10:01:05.000Z')).toEqual({ queueMs: 4000, talkMs: 60_000 });
  });

  it('measures queue time to the end for an unanswered call, with no talk time', () => {
    const call = { queuedAt: '2026-01-01T10:00:00.000Z', answeredAt: null, connectedAt: null };
    expect(durationsOf(call, '2026-01-01T10:00:09.500Z')).toEqual({ queueMs: 9500, talkMs: null });
  });
});

describe('describeEnd', () => {
  it('says what happened and who did it', () => {
    expect(describeEnd('short_abandon', 'caller_left', 'system')).toBe('short abandon (caller left, ended by system)');
    expect(describeEnd('answered', 'hung_up', 'agent')).toBe('answered (hung up, ended by agent)');
  });
});
