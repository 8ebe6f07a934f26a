import { chooseAgent, estimateWaitSeconds, planOffers, queuePosition, type CallPass, type RoutingAgent, type RoutingClock, type WaitingCall } from './routing';

function agent(agentId: string, idleSince: string, patch: Partial<RoutingAgent> = {}): RoutingAgent {
  return { agentId, state: 'available', connected: true, idleSince: `2026-01-01T10:00:${idleSince}.000Z`, ...patch };
}

function call(callId: string, queuedSecond: string, passes: CallPass[] = []): WaitingCall {
  return { callId, queuedAt: `2026-01-01T11:00:${queuedSecond}.000Z`, passes };
}

/** A pass at 11:01:`second`. */
function pass(agentId: string, reason: CallPass['reason'], second: string): CallPass {
  return { agentId, reason, at: `2026-01-01T11:01:${second}.000Z` };
}

/** Routing at 11:01:`second`, with a 20 s decline cool-down. */
function at(second: string): RoutingClock {
  return { now: `2026-01-01T11:01:${second}.000Z`, declineCooldownMs: 20_000 };
}

describe('chooseAgent', () => {
  it('picks the agent idle longest', () => {
    expect(chooseAgent([agent('a', '30'), agent('b', '10'), agent('c', '20')])?.agentId).toBe('b');
  });

  it('never picks an agent who is not connected or not Available', () => {
    const agents = [agent('a', '01', { connected: false }), agent('b', '02', { state: 'missed' }), agent('c', '03', { state: 'ringing' }), agent('d', '09')];
    expect(chooseAgent(agents)?.agentId).toBe('d');
  });

  it('prefers agents who have not declined or missed the call', () => {
    expect(chooseAgent([agent('a', '01'), agent('b', '02')], call('x', '00', [pass('a', 'declined', '00')]), at('50'))?.agentId).toBe('b');
    expect(chooseAgent([agent('a', '01'), agent('b', '02')], call('x', '00', [pass('a', 'missed', '00')]), at('50'))?.agentId).toBe('b');
    expect(chooseAgent([agent('a', '01')], call('x', '00', [pass('a', 'missed', '00')]), at('50'))).toBeNull();
  });

  it('as a fallback, picks a decliner only after the cool-down, and a Missed agent back at Available at once', () => {
    const declined = call('x', '00', [pass('a', 'declined', '10')]);
    expect(chooseAgent([agent('a', '01')], declined, at('29'), true)).withContext('19 s after the decline').toBeNull();
    expect(chooseAgent([agent('a', '01')], declined, at('30'), true)?.agentId).withContext('20 s after').toBe('a');
    expect(chooseAgent([agent('a', '01')], call('x', '00', [pass('a', 'missed', '10')]), at('10'), true)?.agentId).toBe('a');
    expect(chooseAgent([agent('a', '01', { state: 'missed' })], call('x', '00', [pass('a', 'missed', '10')]), at('59'), true)).toBeNull();
    expect(chooseAgent([agent('b', '01')], declined, at('50'), true)).withContext('the fallback is only for agents who passed').toBeNull();
  });

  it('counts the cool-down from the latest decline', () => {
    const twice = call('x', '00', [pass('a', 'declined', '01'), pass('a', 'missed', '05'), pass('a', 'declined', '30')]);
    expect(chooseAgent([agent('a', '01')], twice, at('45'), true)).toBeNull();
    expect(chooseAgent([agent('a', '01')], twice, at('50'), true)?.agentId).toBe('a');
  });

  it('breaks ties by id, so every node picks the same agent', () => {
    expect(chooseAgent([agent('z', '05'), agent('m', '05')])?.agentId).toBe('m');
  });

  it('answers null with nobody to offer to', () => {
    expect(chooseAgent([])).toBeNull();
  });
});

describe('planOffers', () => {
  it('serves callers first come, first served, each to a different agent', () => {
    const plan = planOffers([call('late', '30'), call('early', '10')], [agent('a', '20'), agent('b', '05')], at('59'));
    expect(plan).toEqual([
      { callId: 'early', agentId: 'b' },
      { callId: 'late', agentId: 'a' },
    ]);
  });

  it('does not let a caller every agent skipped hold up the next one', () => {
    for (const reason of ['declined', 'missed'] as const) {
      const plan = planOffers([call('first', '01', [pass('a', reason, '00')]), call('second', '02')], [agent('a', '00')], at('59'));
      expect(plan).withContext(reason).toEqual([{ callId: 'second', agentId: 'a' }]);
    }
  });

  it('offers a call back to an agent who passed on it when no other agent is free', () => {
    const declined = [call('first', '01', [pass('a', 'declined', '00')])];
    expect(planOffers(declined, [agent('a', '00')], at('10'))).withContext('within the cool-down').toEqual([]);
    expect(planOffers(declined, [agent('a', '00')], at('20'))).toEqual([{ callId: 'first', agentId: 'a' }]);
    expect(planOffers(declined, [agent('a', '00'), agent('b', '09')], at('20'))).withContext('b is free').toEqual([{ callId: 'first', agentId: 'b' }]);
    expect(planOffers([call('first', '01', [pass('a', 'missed', '00')])], [agent('a', '00')], at('00'))).toEqual([{ callId: 'first', agentId: 'a' }]);
  });

  it('gives fresh matches first, then the calls left over to agents who passed on them, oldest caller first', () => {
    const calls = [call('c1', '01', [pass('a', 'declined', '00'), pass('b', 'declined', '00')]), call('c2', '02', [pass('a', 'missed', '00')]), call('c3', '03')];
    expect(planOffers(calls, [agent('a', '00'), agent('b', '01')], at('30'))).toEqual([
      { callId: 'c2', agentId: 'b' },
      { callId: 'c3', agentId: 'a' },
    ]);
    expect(planOffers(calls.slice(0, 2), [agent('a', '00'), agent('b', '01')], at('30'))).toEqual([
      { callId: 'c2', agentId: 'b' },
      { callId: 'c1', agentId: 'a' },
    ]);
  });

  it('leaves calls waiting when agents run out', () => {
    expect(planOffers([call('x', '01'), call('y', '02')], [agent('a', '00')], at('59'))).toEqual([{ callId: 'x', agentId: 'a' }]);
    expect(planOffers([call('x', '01')], [], at('59'))).toEqual([]);
  });
});

describe('queuePosition', () => {
  const waiting = [
    { callId: 'b', queuedAt: '2026-01-01T11:00:02.000Z' },
    { callId: 'a', queuedAt: '2026-01-01T11:00:01.000Z' },
  ];

  it('counts from 1 in queue order', () => {
    expect(queuePosition(waiting, 'a')).toBe(1);
    expect(queuePosition(waiting, 'b')).toBe(2);
  });

  it('is null for a call not waiting', () => {
    expect(queuePosition(waiting, 'c')).toBeNull();
  });
});

describe('estimateWaitSeconds', () => {
  it('multiplies the mean recent queue time by the position', () => {
    expect(estimateWaitSeconds([10_000, 20_000], 1)).toBe(15);
    expect(estimateWaitSeconds([10_000, 20_000], 3)).toBe(45);
  });

  it('is null without recent answers', () => {
    expect(estimateWaitSeconds([], 2)).toBeNull();
  });
});
