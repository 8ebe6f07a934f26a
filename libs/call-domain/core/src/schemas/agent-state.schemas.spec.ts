import { supervisorAgentStateSchema } from './agent-state.schemas';

describe('supervisorAgentStateSchema', () => {
  it('accepts away or offline and nothing else', () => {
    expect(supervisorAgentStateSchema.safeParse({ state: 'away' }).success).toBeTrue();
    expect(supervisorAgentStateSchema.safeParse({ state: 'offline' }).success).toBeTrue();
    expect(supervisorAgentStateSchema.safeParse({ state: 'available' }).success).toBeFalse();
    expect(supervisorAgentStateSchema.safeParse({ state: 'away', x: 1 }).success).toBeFalse();
    expect(supervisorAgentStateSchema.safeParse({}).success).toBeFalse();
  });
});
