import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AgentFigures, CallerContext, CallRecord, Page } from '@switchboard/call-domain';
import { DATABASE } from '../src/database/database.module';
import type { CallRow, Database } from '../src/database/schema';
import { callAppPerSpec, pause, type TestClient } from './call-clients';
import { call, expectProblem } from './support';

/** A stored, ended call of `callerId` (history the desk reads). */
function pastCall(callerId: string, agent: { id: string; name: string } | null, queuedAt: string, patch: Partial<CallRow> = {}): CallRow {
  // Every column of `calls`, as the ledger leaves an ended call.
  return {
    id: randomUUID(),
    state: 'ended',
    caller_id: callerId,
    caller_name: 'Sam Student',
    queued_at: queuedAt,
    outcome: agent ? 'answered' : 'abandoned',
    agent_id: agent?.id ?? null,
    agent_name: agent?.name ?? null,
    ringing_agent_id: null,
    rings_out_at: null,
    answered_at: agent ? queuedAt : null,
    connected_at: agent ? queuedAt : null,
    ended_at: queuedAt,
    ended_by: 'caller',
    end_reason: agent ? 'hung_up' : 'cancelled',
    queue_ms: 10_000,
    talk_ms: agent ? 120_000 : null,
    wrap_up_ms: agent ? 30_000 : null,
    disposition: agent ? 'Resolved' : null,
    notes: agent ? 'Reset the password' : null,
    negotiation_id: null,
    direction: 'inbound',
    callback_id: null,
    poor_quality: 0,
    sort_pending: 0,
    ...patch,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`The agent desk's reads [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect);
    let db: Kysely<Database>;
    beforeEach(() => (db = harness.app.app.get<Kysely<Database>>(DATABASE)));
    const get = <T>(client: TestClient, path: string) => call<T>(harness.app.url, 'GET', path, { token: client.login.accessToken });

    async function available(username: string): Promise<TestClient> {
      const agent = await harness.connect(username);
      await agent.ok('setAvailability', { state: 'available' });
      await pause(5);
      return agent;
    }

    it("shows the caller's earlier calls and open callbacks to the agent the call rings for, and to nobody else", async () => {
      const alex = await available('agent');
      const blake = await harness.connect('agent2');
      const student = await harness.connect('student');
      const other = await harness.connect('student2');
      const supervisor = await harness.connect('supervisor');
      const alexRef = { id: alex.userId, name: 'Alex Agent' };
      const older = pastCall(student.userId, { id: blake.userId, name: 'Blake Agent' }, '2026-11-02T09:00:00.000Z', { disposition: 'Escalated', notes: 'Sent to IT' });
      const newer = pastCall(student.userId, alexRef, '2026-11-20T14:30:00.000Z');
      const abandoned = pastCall(student.userId, null, '2026-11-21T08:00:00.000Z');
      const someoneElse = pastCall(other.userId, alexRef, '2026-11-22T08:00:00.000Z', { caller_name: 'Kim Student' });
      await db.insertInto('calls').values([older, newer, abandoned, someoneElse]).execute();
      await db
        .insertInto('callback_requests')
        .values([
          { id: randomUUID(), call_id: abandoned.id, student_id: student.userId, name: 'Sam', note: 'After 3 pm please', created_at: '2026-11-21T08:05:00.000Z', done_at: null, done_by: null },
          { id: randomUUID(), call_id: older.id, student_id: student.userId, name: 'Sam', note: 'Done already', created_at: '2026-11-02T09:10:00.000Z', done_at: '2026-11-02T10:00:00.000Z', done_by: blake.userId },
        ])
        .execute();

      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const context = await get<CallerContext>(alex, `/api/calls/${callId}/caller-context`);
      expect(context.status).withContext(context.text).toBe(200);
      expect(context.body.callerName).toBe('Sam Student');
      expect(context.body.previousCallCount).toBe(3);
      expect(context.body.previousCalls.map((c) => [c.queuedAt, c.outcome, c.agentName, c.disposition, c.notes])).toEqual([
        [abandoned.queued_at, 'abandoned', null, null, null],
        [newer.queued_at, 'answered', 'Alex Agent', 'Resolved', 'Reset the password'],
        [older.queued_at, 'answered', 'Blake Agent', 'Escalated', 'Sent to IT'],
      ]);
      expect(context.body.openCallbacks.map((c) => c.note)).toEqual(['After 3 pm please']);

      expectProblem(await get(blake, `/api/calls/${callId}/caller-context`), 403, 'forbidden');
      expectProblem(await get(student, `/api/calls/${callId}/caller-context`), 403, 'forbidden');
      expect((await get(supervisor, `/api/calls/${callId}/caller-context`)).status).toBe(200);
      expectProblem(await get(alex, `/api/calls/${randomUUID()}/caller-context`), 404, 'not_found');
      expectProblem(await get(alex, '/api/calls/not-a-call/caller-context'), 400, 'bad_request');

      // Still theirs once accepted (the call panel shows it too).
      await alex.ok('acceptCall', { callId });
      expect((await get<CallerContext>(alex, `/api/calls/${callId}/caller-context`)).body.previousCallCount).toBe(3);
    });

    it("gives an agent their own calls (searchable) and their day's figures, and the queue as it changes", async () => {
      const alex = await available('agent');
      const blake = await harness.connect('agent2');
      const student = await harness.connect('student');
      const alexRef = { id: alex.userId, name: 'Alex Agent' };
      const day = '2026-11-20';
      const mine = [
        pastCall(student.userId, alexRef, `${day}T09:00:00.000Z`, { talk_ms: 100_000, wrap_up_ms: 20_000 }),
        pastCall(student.userId, alexRef, `${day}T11:00:00.000Z`, { talk_ms: 200_000, wrap_up_ms: 40_000, caller_name: 'Kim Student' }),
        pastCall(student.userId, alexRef, `${day}T12:00:00.000Z`, { outcome: 'failed', talk_ms: 0, wrap_up_ms: 10_000 }),
        pastCall(student.userId, alexRef, '2026-11-19T12:00:00.000Z'),
      ];
      const blakes = pastCall(student.userId, { id: blake.userId, name: 'Blake Agent' }, `${day}T10:00:00.000Z`);
      await db.insertInto('calls').values([...mine, blakes]).execute();
      await db
        .insertInto('call_events')
        .values({ id: randomUUID(), call_id: blakes.id, seq: 1, at: `${day}T10:00:05.000Z`, type: 'missed', actor_id: alex.userId, actor_name: 'Alex Agent', detail: null })
        .execute();

      const page = await get<Page<CallRecord>>(alex, '/api/me/calls?pageSize=10');
      expect(page.status).withContext(page.text).toBe(200);
      expect(page.body.total).toBe(4);
      expect(page.body.items.every((c) => c.agentId === alex.userId)).withContext('only their own calls').toBeTrue();
      const search = await get<Page<CallRecord>>(alex, '/api/me/calls?student=kim');
      expect(search.body.items.map((c) => c.callerName)).toEqual(['Kim Student']);
      expectProblem(await get(alex, `/api/me/calls?agentId=${blake.userId}`), 400, 'bad_request');

      const figures = await get<AgentFigures>(alex, `/api/me/figures?from=${day}T00:00:00Z&to=2026-11-21T00:00:00Z`);
      expect(figures.body).toEqual({ from: `${day}T00:00:00.000Z`, to: '2026-11-21T00:00:00.000Z', handled: 2, averageHandleSeconds: 180, missed: 1 });
      expectProblem(await get(alex, '/api/me/figures'), 400, 'bad_request');
      expectProblem(await get(student, `/api/me/figures?from=${day}&to=2026-11-21`), 403, 'forbidden');

      // The agent's desk hears the queue: a call waiting, then none.
      await alex.ok('setAvailability', { state: 'away' });
      expect((await alex.next('queueChanged')).callsWaiting).withContext('sent on connect').toBe(0);
      await harness.connect('agent3').then((c) => c.ok('setAvailability', { state: 'available' }));
      const { callId } = await student.ok('requestCall', {});
      expect((await alex.next('queueChanged', (q) => q.callsWaiting === 1)).longestWaitSeconds).toEqual(jasmine.any(Number));
      await student.ok('cancelCall', { callId });
      await alex.next('queueChanged', (q) => q.callsWaiting === 0);
    });
  });
}
