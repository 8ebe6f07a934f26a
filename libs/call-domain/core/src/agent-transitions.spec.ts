import { AGENT_STATES } from './agent';
import { agentStatesLeadingTo, canAgentMove, isOfferable, isStaffed } from './agent-transitions';

describe('agent transitions', () => {
  it('let an agent pick Available or Away, and return from Missed in one click', () => {
    expect(canAgentMove('offline', 'available', 'agent')).toBeTrue();
    expect(canAgentMove('available', 'away', 'agent')).toBeTrue();
    expect(canAgentMove('away', 'available', 'agent')).toBeTrue();
    expect(canAgentMove('missed', 'available', 'agent')).toBeTrue();
  });

  it('keep ringing, talking and wrap-up out of the agent’s Available/Away picker', () => {
    expect(canAgentMove('on_call', 'available', 'agent')).toBeFalse();
    expect(canAgentMove('on_call', 'away', 'agent')).toBeFalse();
    expect(canAgentMove('ringing', 'away', 'agent')).toBeFalse();
    expect(canAgentMove('wrap_up', 'away', 'agent')).toBeFalse();
  });

  it('let an agent who is Available or Away place a callback (On call), never while ringing, missed or in wrap-up', () => {
    expect(agentStatesLeadingTo('on_call', 'agent').sort()).toEqual(['available', 'away', 'ringing']);
    expect(canAgentMove('wrap_up', 'on_call', 'agent')).toBeFalse();
    expect(canAgentMove('available', 'on_call', 'supervisor')).toBeFalse();
  });

  it('leave ringing, missed and wrap-up to the system', () => {
    expect(canAgentMove('available', 'ringing', 'system')).toBeTrue();
    expect(canAgentMove('available', 'ringing', 'agent')).toBeFalse();
    expect(canAgentMove('ringing', 'missed', 'system')).toBeTrue();
    expect(canAgentMove('ringing', 'missed', 'agent')).toBeFalse();
    expect(canAgentMove('on_call', 'wrap_up', 'system')).toBeTrue();
    expect(canAgentMove('wrap_up', 'available', 'system')).toBeTrue();
  });

  it('let a supervisor send an idle agent on a break, but not make anyone Available', () => {
    expect(canAgentMove('available', 'away', 'supervisor')).toBeTrue();
    expect(canAgentMove('missed', 'away', 'supervisor')).toBeTrue();
    expect(canAgentMove('away', 'available', 'supervisor')).toBeFalse();
    expect(canAgentMove('on_call', 'away', 'supervisor')).toBeFalse();
  });

  it('let a supervisor sign out an idle or away agent, but never interrupt an offer, a call or its wrap-up', () => {
    expect(agentStatesLeadingTo('offline', 'supervisor').sort()).toEqual(['available', 'away', 'missed']);
    expect(agentStatesLeadingTo('away', 'supervisor').sort()).toEqual(['available', 'missed']);
  });

  it('let the system sign out any signed-in agent whose connection is gone', () => {
    for (const from of AGENT_STATES.filter((s) => s !== 'offline')) expect(canAgentMove(from, 'offline', 'system')).withContext(from).toBeTrue();
  });

  it('never count staying put as a move', () => {
    for (const state of AGENT_STATES) expect(canAgentMove(state, state, 'system')).toBeFalse();
  });

  it('list where a move may start', () => {
    expect(agentStatesLeadingTo('available', 'agent').sort()).toEqual(['away', 'missed', 'offline', 'ringing', 'wrap_up']);
    expect(agentStatesLeadingTo('ringing', 'system')).toEqual(['available']);
  });
});

describe('isOfferable / isStaffed', () => {
  it('offer only to a connected Available agent', () => {
    expect(isOfferable({ state: 'available', connected: true })).toBeTrue();
    expect(isOfferable({ state: 'available', connected: false })).toBeFalse();
    expect(isOfferable({ state: 'missed', connected: true })).toBeFalse();
    expect(isOfferable({ state: 'away', connected: true })).toBeFalse();
  });

  it('count working states as staffed', () => {
    expect(AGENT_STATES.filter(isStaffed)).toEqual(['available', 'ringing', 'on_call', 'wrap_up']);
  });
});
