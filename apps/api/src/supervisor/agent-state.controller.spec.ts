import type { SessionUser } from '@switchboard/call-domain';
import type { AgentMove, AgentPresence } from '../calls/agent-presence.service';
import type { AgentPresenceRow } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { AgentStateController } from './agent-state.controller';
import { AgentStateService } from './agent-state.service';

describe('AgentStateService (through AgentStateController)', () => {
  const supervisor: SessionUser = { id: 'u-sup', username: 'ada.supervisor', role: 'supervisor', displayName: 'Ada Supervisor' };
  const row = (state: AgentPresenceRow['state']): AgentPresenceRow =>
    ({ agent_id: 'u-agent', display_name: 'Ada Agent', state, since: '2026-11-02T09:00:00.000Z', connected: 1, call_id: null, idle_since: '2026-11-02T09:00:00.000Z', wrap_up_ends_at: null });

  function controller(current: AgentPresenceRow | undefined, moved: AgentPresenceRow | null) {
    const moves: AgentMove[] = [];
    const presence = {
      get: async () => current,
      move: async (_id: string, move: AgentMove) => {
        moves.push(move);
        return moved;
      },
    } as unknown as AgentPresence;
    return { controller: new AgentStateController(new AgentStateService(presence)), moves };
  }

  it('moves the agent as a supervisor, recording who, and answers the new status', async () => {
    const { controller: c, moves } = controller(row('available'), row('away'));
    const status = await c.setState('u-agent', { state: 'away' }, supervisor);
    expect(moves).toEqual([{ to: 'away', by: 'supervisor', reason: 'set by supervisor', byUserId: 'u-sup' }]);
    expect(status.state).toBe('away');
  });

  it('answers not_found for an agent who never signed in, invalid_state for a move not allowed', async () => {
    await expectAsync(controller(undefined, null).controller.setState('nobody', { state: 'away' }, supervisor)).toBeRejectedWith(
      jasmine.objectContaining({ code: 'not_found' }),
    );
    const refused = controller(row('on_call'), null).controller.setState('u-agent', { state: 'away' }, supervisor);
    await expectAsync(refused).toBeRejectedWith(jasmine.any(ProblemException));
    await expectAsync(refused).toBeRejectedWith(jasmine.objectContaining({ code: 'invalid_state' }));
  });
});
