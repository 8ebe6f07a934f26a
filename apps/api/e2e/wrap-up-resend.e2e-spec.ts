import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, eventually, type TestClient } from './call-clients';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a wrap-up sent again after its answer was lost [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect);
    let db: Kysely<Database>;
    beforeEach(() => (db = harness.app.app.get<Kysely<Database>>(DATABASE)));

    /** A call `agent` took from `student`, connected and hung up: the agent is in wrap-up. */
    async function hungUpCall(agent: TestClient, student: TestClient): Promise<string> {
      await agent.ok('setAvailability', { state: 'available' });
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered', (o) => o.callId === callId);
      await student.ok('sendOffer', { callId, messageId: randomUUID(), description: { type: 'offer', sdp: 'v=0\r\n' } });
      await agent.ok('acceptCall', { callId });
      await agent.ok('reportMedia', { callId, state: 'connected' });
      await student.ok('hangUp', { callId });
      await agent.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      return callId;
    }

    it('takes the same wrap-up again as done, once, and refuses a different one naming what was saved', async () => {
      const agent = await harness.connect('agent');
      const student = await harness.connect('student');
      const callId = await hungUpCall(agent, student);
      const wrapUp = { callId, disposition: 'Resolved', notes: 'Reset the password' };

      // Sent, then the connection is gone before the answer (as when the agent's node dies).
      agent.socket.emit('completeWrapUp', wrapUp, () => undefined);
      await agent.close();
      await eventually(async () => (await db.selectFrom('calls').select('disposition').where('id', '=', callId).executeTakeFirst())?.disposition === 'Resolved');

      // The portal's socket is back and sends it again: answered ok, nothing saved twice.
      const back = await harness.newTab(agent);
      expect(await back.send('completeWrapUp', wrapUp)).toEqual(jasmine.objectContaining({ ok: true }));
      const row = await db.selectFrom('calls').select(['disposition', 'notes']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toEqual({ disposition: 'Resolved', notes: 'Reset the password' });
      const saves = await db.selectFrom('call_events').select('type').where('call_id', '=', callId).where('type', '=', 'wrap_up_saved').execute();
      expect(saves.length).toBe(1);
      expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agent.userId).executeTakeFirstOrThrow()).state).toBe('available');

      const other = await back.send('completeWrapUp', { callId, disposition: 'Escalated', notes: '' });
      expect(other).toEqual({ ok: false, error: { code: 'conflict', message: jasmine.stringContaining('Resolved') } } as never);
      expect(await db.selectFrom('calls').select(['disposition', 'notes']).where('id', '=', callId).executeTakeFirstOrThrow()).toEqual(row);
    });
  });
}
