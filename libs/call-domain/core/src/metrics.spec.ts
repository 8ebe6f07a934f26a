import type { CallRecord, CallTimelineEvent } from './call';
import { METRIC_DEFINITIONS } from './metric-definitions';
import { MetricsAccumulator, computeMetrics, isTimeZone, queueSnapshotOf, type MetricsCall } from './metrics';

function call(queuedAt: string, fields: Partial<MetricsCall>): MetricsCall {
  return { state: 'ended', outcome: null, queuedAt, connectedAt: null, queueSeconds: null, talkSeconds: null, wrapUpSeconds: null, ...fields };
}
const answered = (queuedAt: string, queueSeconds: number, talkSeconds: number | null, wrapUpSeconds: number | null) =>
  call(queuedAt, { outcome: 'answered', connectedAt: queuedAt, queueSeconds, talkSeconds, wrapUpSeconds });

// Hand-computed below: 10 calls on 2 Nov 2026 (UTC).
const CALLS: MetricsCall[] = [
  answered('2026-11-02T09:15:00.000Z', 10, 300, 60),
  answered('2026-11-02T09:45:00.000Z', 30, 200, 40),
  answered('2026-11-02T10:05:00.000Z', 20, 100, null),
  call('2026-11-02T10:10:00.000Z', { outcome: 'abandoned', queueSeconds: 45 }),
  call('2026-11-02T10:20:00.000Z', { outcome: 'short_abandon', queueSeconds: 3 }),
  call('2026-11-02T13:00:00.000Z', { outcome: 'abandoned', queueSeconds: 5 }),
  call('2026-11-02T13:30:00.000Z', { outcome: 'unanswered', queueSeconds: 300 }),
  call('2026-11-02T23:59:59.000Z', { outcome: 'failed', queueSeconds: 12 }),
  call('2026-11-02T14:00:00.000Z', { state: 'connected', connectedAt: '2026-11-02T14:00:08.000Z', queueSeconds: 8 }),
  call('2026-11-02T14:01:00.000Z', { state: 'queued' }),
];
const event = (type: CallTimelineEvent['type'], actorId: string | null, actorName: string | null) => ({ type, actorId, actorName });
const EVENTS = [
  event('missed', 'a', 'Alex'),
  event('offered', 'a', 'Alex'),
  event('missed', 'b', 'Blake'),
  event('declined', 'a', 'Alex'),
  event('missed', 'a', 'Alex'),
  event('missed', null, null),
];
const LIVE: Pick<CallRecord, 'state' | 'queuedAt'>[] = [
  { state: 'connected', queuedAt: '2026-11-02T14:00:00.000Z' },
  { state: 'queued', queuedAt: '2026-11-02T14:01:00.000Z' },
  { state: 'ringing', queuedAt: '2026-11-02T13:59:30.000Z' },
  { state: 'accepted', queuedAt: '2026-11-02T13:00:00.000Z' },
];
const NOW = new Date('2026-11-02T14:02:00.000Z');

describe('computeMetrics', () => {
  const m = computeMetrics({ calls: CALLS, events: EVENTS, liveCalls: LIVE, now: NOW });

  it('counts offered, answered (in progress with media too), abandoned and short abandons', () => {
    expect([m.offered, m.answered, m.abandoned, m.shortAbandoned]).toEqual([10, 4, 3, 2]);
  });

  it('divides answered and abandoned (short included) by offered', () => {
    expect(m.answerRate).toBe(0.4);
    expect(m.abandonRate).toBe(0.3);
  });

  it('averages the queue time of answered calls (ASA)', () => {
    expect(m.averageSpeedOfAnswerSeconds).toBe((10 + 30 + 20 + 8) / 4);
  });

  it('averages talk + wrap-up of answered calls whose talk ended (AHT)', () => {
    expect(m.averageHandleTimeSeconds).toBeCloseTo((360 + 240 + 100) / 3, 10);
  });

  it('computes service level as answered within X ÷ (answered + abandoned − short abandons)', () => {
    expect(m.serviceLevel).toBe(3 / 5);
    expect(computeMetrics({ calls: CALLS, events: [], liveCalls: [], now: NOW, serviceLevelSeconds: 30 }).serviceLevel).toBe(4 / 5);
  });

  it('classifies short abandons with the given window, at most the window', () => {
    const narrow = computeMetrics({ calls: CALLS, events: [], liveCalls: [], now: NOW, shortAbandonSeconds: 2 });
    expect(narrow.shortAbandoned).toBe(0);
    expect(narrow.serviceLevel).toBe(3 / 7);
    expect(computeMetrics({ calls: CALLS, events: [], liveCalls: [], now: NOW, shortAbandonSeconds: 45 }).shortAbandoned).toBe(3);
  });

  it('counts missed offers per agent, most first, ignoring other events', () => {
    expect(m.missedOffers).toEqual([
      { agentId: 'a', agentName: 'Alex', missedOffers: 2 },
      { agentId: 'b', agentName: 'Blake', missedOffers: 1 },
    ]);
  });

  it('counts calls per hour of day in UTC by default', () => {
    expect(m.callsByHour.length).toBe(24);
    const busy = m.callsByHour.filter((h) => h.offered > 0);
    expect(busy).toEqual([
      { hour: 9, offered: 2, answered: 2, abandoned: 0 },
      { hour: 10, offered: 3, answered: 1, abandoned: 2 },
      { hour: 13, offered: 2, answered: 0, abandoned: 1 },
      { hour: 14, offered: 2, answered: 1, abandoned: 0 },
      { hour: 23, offered: 1, answered: 0, abandoned: 0 },
    ]);
  });

  it('counts calls per hour in an IANA time zone, half-hour offsets included', () => {
    const berlin = computeMetrics({ calls: CALLS, events: [], liveCalls: [], now: NOW, timeZone: 'Europe/Berlin' });
    expect(berlin.callsByHour.filter((h) => h.offered > 0).map((h) => [h.hour, h.offered])).toEqual([[0, 1], [10, 2], [11, 3], [14, 2], [15, 2]]);
    const kolkata = computeMetrics({ calls: [CALLS[0]], events: [], liveCalls: [], now: NOW, timeZone: 'Asia/Kolkata' });
    expect(kolkata.callsByHour.findIndex((h) => h.offered === 1)).toBe(14);
  });

  it('follows daylight saving time', () => {
    const summer = computeMetrics({ calls: [call('2026-07-01T09:00:00.000Z', {})], events: [], liveCalls: [], now: NOW, timeZone: 'Europe/Berlin' });
    expect(summer.callsByHour.findIndex((h) => h.offered === 1)).toBe(11);
  });

  it('takes calls waiting and the longest current wait from queued and ringing live calls', () => {
    expect(m.callsWaiting).toBe(2);
    expect(m.longestCurrentWaitSeconds).toBe(150);
  });

  it('answers null rates and averages, never NaN, when nothing was offered', () => {
    const empty = computeMetrics({ calls: [], events: [], liveCalls: [], now: NOW });
    expect(empty).toEqual(
      jasmine.objectContaining({
        offered: 0,
        answered: 0,
        answerRate: null,
        abandonRate: null,
        averageSpeedOfAnswerSeconds: null,
        averageHandleTimeSeconds: null,
        serviceLevel: null,
        missedOffers: [],
        longestCurrentWaitSeconds: null,
        callsWaiting: 0,
      }),
    );
    expect(empty.callsByHour.every((h) => h.offered === 0)).toBeTrue();
  });

  it('answers a null service level when only short abandons and unanswered calls happened', () => {
    const only = computeMetrics({
      calls: [call('2026-11-02T10:00:00.000Z', { outcome: 'short_abandon', queueSeconds: 1 }), call('2026-11-02T10:00:00.000Z', { outcome: 'unanswered', queueSeconds: 300 })],
      events: [],
      liveCalls: [],
      now: NOW,
    });
    expect([only.serviceLevel, only.answerRate, only.abandonRate, only.averageSpeedOfAnswerSeconds]).toEqual([null, 0, 0.5, null]);
  });

  it('gives the same figures when fed one call at a time', () => {
    const acc = new MetricsAccumulator({ serviceLevelSeconds: 20, shortAbandonSeconds: 5, timeZone: 'UTC' });
    for (const c of CALLS) acc.addCall(c);
    for (const e of EVENTS) acc.addEvent(e);
    expect(acc.result(LIVE, NOW)).toEqual(m);
  });
});

describe('queueSnapshotOf', () => {
  it('counts queued and ringing calls as waiting, accepted and connected as in progress, with the oldest wait', () => {
    expect(queueSnapshotOf([...LIVE, { state: 'ended', queuedAt: '2026-11-02T10:00:00.000Z' }], NOW)).toEqual({
      callsWaiting: 2,
      oldestQueuedAt: '2026-11-02T13:59:30.000Z',
      longestWaitSeconds: 150,
      callsInProgress: 2,
      generatedAt: NOW.toISOString(),
    });
  });

  it('answers no oldest wait when nobody waits', () => {
    expect(queueSnapshotOf([], NOW)).toEqual({ callsWaiting: 0, oldestQueuedAt: null, longestWaitSeconds: null, callsInProgress: 0, generatedAt: NOW.toISOString() });
  });
});

describe('METRIC_DEFINITIONS', () => {
  it('quotes shared/CONTACT-CENTER.md', () => {
    expect(METRIC_DEFINITIONS.serviceLevel.definition).toBe(
      'Service level (threshold X s, default 20 s) = answered within X ÷ (answered + abandoned − short abandons). The threshold and the short-abandon window are shown with the number.',
    );
    expect(METRIC_DEFINITIONS.averageHandleTimeSeconds.definition).toBe('Average handle time (AHT): mean of talk time + wrap-up time per answered call.');
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses anything else', () => {
    expect(['UTC', 'Europe/Berlin', 'America/New_York'].map(isTimeZone)).toEqual([true, true, true]);
    expect(['Mars/Olympus', '', 'not a zone'].map(isTimeZone)).toEqual([false, false, false]);
  });
});
