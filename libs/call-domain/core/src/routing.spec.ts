import { chooseAgent, estimateWaitSeconds, planOffers, queuePosition, type RoutingAgent, type WaitingCall } from './routing';

function agent(agentId: string, idleSince: string, patch: Partial<RoutingAgent> = {}): RoutingAgent {
  return { agentId, state: 'available', connected: true, idleSince: `2026-01-01T10:00:${idleSince}.000Z`, ...patch };
}

function call(callId: string, queuedSecond: string, skippedAgentIds: string[] = []): WaitingCall {
  return { callId, queuedAt: `2026-01-01T11:00:${queuedSecond}.000Z`, skippedAgentIds };
}

describe('chooseAgent', () => {
  it('picks the agent idle longest', () => {
    expect(chooseAgent([agent('a', '30'), agent('b', '10'), agent('c', '20')])?.agentId).toBe('b');
  });

  it('never picks an agent who is not connected or not Available', () => {
    const agents = [agent('a', '01', { connected: false }), agent('b', '02', { state: 'missed' }), agent('c', '03', { state: 'ringing' }), agent('d', '09')];
    expect(chooseAgent(agents)?.agentId).toBe('d');
  });

  it('skips agents who declined or missed the call', () => {
    expect(chooseAgent([agent('a', '01'), agent('b', '02')], ['a'])?.agentId).toBe('b');
    expect(chooseAgent([agent('a', '01')], ['a'])).toBeNull();
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
    const plan = planOffers([call('late', '30'), call('early', '10')], [agent('a', '20'), agent('b', '05')]);
    expect(plan).toEqual([
      { callId: 'early', agentId: 'b' },
      { callId: 'late', agentId: 'a' },
    ]);
  });

  it('does not let a caller every agent skipped hold up the next one', () => {
    const plan = planOffers([call('first', '01', ['a']), call('second', '02')], [agent('a', '00')]);
    expect(plan).toEqual([{ callId: 'second', agentId: 'a' }]);
  });

  it('leaves calls waiting when agents run out', () => {
    expect(planOffers([call('x', '01'), call('y', '02')], [agent('a', '00')])).toEqual([{ callId: 'x', agentId: 'a' }]);
    expect(planOffers([call('x', '01')], [])).toEqual([]);
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
