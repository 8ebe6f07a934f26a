import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CallbackRecord, CallbackRequest, CallDetail, Page, QueueSnapshot } from '@switchboard/call-domain';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, eventually, pause, type TestClient } from './call-clients';
import { call, expectProblem } from './support';

const sdp = (label: string) => `v=0\r\no=- ${label} 2 IN IP4 127.0.0.1\r\ns=-\r\n`;
const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Callbacks: agents call students back [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, { RING_TIMEOUT_SECONDS: '2', WRAP_UP_SECONDS: '30' });
    let db: Kysely<Database>;
    beforeEach(() => (db = harness.app.app.get<Kysely<Database>>(DATABASE)));

    /** A callback request of `student`, as one left after an unanswered call. */
    async function requestOf(student: TestClient, note = 'About my enrolment'): Promise<string> {
      const id = randomUUID();
      await db.insertInto('callback_requests').values({ id, call_id: null, student_id: student.userId, name: 'Sam', note, created_at: new Date().toISOString(), done_at: null, done_by: null }).execute();
      return id;
    }
    const http = <T>(tab: TestClient, method: string, path: string, body?: unknown) => call<T>(harness.app.url, method, path, { token: tab.login.accessToken, body });
    const timeline = async (callId: string) =>
      (await db.selectFrom('call_events').select(['type', 'actor_name']).where('call_id', '=', callId).orderBy('seq').execute()).map((r) => `${r.type}:${r.actor_name ?? ''}`);

    it('takes a request, calls the student, who accepts: signaling both ways, hang-up, wrap-up, and the request records its life', async () => {
      const alex = await harness.connect('agent');
      const blake = await harness.connect('agent2');
      const student = await harness.connect('student');
      const id = await requestOf(student);
      await alex.ok('setAvailability', { state: 'available' });

      const taken = await http<CallbackRequest>(alex, 'POST', `/api/agent/callbacks/${id}/take`);
      expect(taken.status).toBe(200);
      expect(taken.body).toEqual(jasmine.objectContaining({ id, takenByName: 'Alex Agent', studentOnline: true, attempts: 0 }));
      // The other agents see it taken.
      expect((await blake.next('callbackChanged', (c) => c.id === id && !!c.takenById)).takenByName).toBe('Alex Agent');
      const list = await http<Page<CallbackRequest>>(blake, 'GET', '/api/agent/callbacks');
      expect(list.body.items.find((c) => c.id === id)?.takenByName).toBe('Alex Agent');

      const placed = await alex.ok('placeCallback', { callbackId: id });
      expect(placed).toEqual(jasmine.objectContaining({ callbackId: id, student: { id: student.userId, displayName: 'Sam Student' }, agent: { id: alex.userId, displayName: 'Alex Agent' } }));
      const { callId } = placed;
      expect((await student.next('callbackRinging')).callId).toBe(callId);
      expect((await alex.next('agentStatusChanged', (s) => s.state === 'on_call')).callId).toBe(callId);

      // The agent's tab offers while it rings; the student's tab gets the offer and candidates before accepting.
      const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('agent-offer') } };
      await alex.ok('sendOffer', offer);
      await alex.ok('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(1) });
      expect(await student.next('offerRelayed')).toEqual(jasmine.objectContaining({ callId, description: offer.description }));
      expect((await student.next('candidateRelayed')).candidate.candidate).toBe(candidate(1).candidate);
      const answer = { callId, messageId: randomUUID(), description: { type: 'answer' as const, sdp: sdp('student-answer') } };
      expect(await student.send('sendAnswer', answer)).withContext('not accepted yet').toEqual(refused('forbidden'));

      const accepted = await student.ok('acceptCallback', { callId });
      expect(accepted.callId).toBe(callId);
      expect((await alex.next('callbackAccepted')).student.displayName).toBe('Sam Student');
      // The accepting tab gets the held offer again (its inbox drops repeats), then answers.
      expect((await student.next('offerRelayed')).messageId).toBe(offer.messageId);
      await student.ok('sendAnswer', answer);
      await student.ok('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(2) });
      expect(await alex.next('answerRelayed')).toEqual(jasmine.objectContaining({ description: answer.description }));
      expect((await alex.next('candidateRelayed')).candidate.candidate).toBe(candidate(2).candidate);
      await student.ok('reportMedia', { callId, state: 'connected' });
      await alex.ok('reportMedia', { callId, state: 'connected' });

      await alex.ok('hangUp', { callId });
      expect((await student.next('callEnded')).outcome).toBe('answered');
      expect((await alex.next('agentStatusChanged', (s) => s.state === 'wrap_up')).callId).toBe(callId);
      await alex.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: 'Enrolment fixed' });
      await alex.next('agentStatusChanged', (s) => s.state === 'available');

      expect(await timeline(callId)).toEqual(['dialed:Alex Agent', 'accepted:Sam Student', 'connected:Sam Student', 'ended:Alex Agent', 'wrap_up_saved:Alex Agent']);
      const done = await http<CallbackRequest>(alex, 'POST', `/api/agent/callbacks/${id}/done`);
      expect(done.body.doneByName).toBe('Alex Agent');
      const record = await http<CallbackRecord>(alex, 'GET', `/api/callbacks/${id}`);
      expect(record.body.life.map((e) => [e.type, e.actorName, e.callId, e.callOutcome])).toEqual([
        ['requested', 'Sam', null, null],
        ['taken', 'Alex Agent', null, null],
        ['call_placed', 'Alex Agent', callId, 'answered'],
        ['done', 'Alex Agent', null, null],
      ]);
      const supervisor = await harness.connect('supervisor');
      const history = await http<CallDetail>(supervisor, 'GET', `/api/calls/${callId}`);
      expect(history.body).toEqual(jasmine.objectContaining({ direction: 'outbound', callbackId: id, callerName: 'Sam Student', agentName: 'Alex Agent', outcome: 'answered', disposition: 'Resolved' }));
    });

    it('records attempts: with a note, a declined call, a call nobody answered', async () => {
      const alex = await harness.connect('agent');
      const student = await harness.connect('student');
      const id = await requestOf(student);
      await alex.ok('setAvailability', { state: 'away' });
      await http(alex, 'POST', `/api/agent/callbacks/${id}/take`);
      const noted = await http<CallbackRequest>(alex, 'POST', `/api/agent/callbacks/${id}/attempts`, { note: 'Phoned the number given: voicemail' });
      expect(noted.body.attempts).toBe(1);

      const declined = await alex.ok('placeCallback', { callbackId: id });
      await student.next('callbackRinging');
      await student.ok('declineCallback', { callId: declined.callId });
      expect(await alex.next('callEnded', (e) => e.callId === declined.callId)).toEqual(jasmine.objectContaining({ outcome: 'unanswered', endedBy: 'caller' }));
      await alex.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      await alex.ok('completeWrapUp', { callId: declined.callId, disposition: 'Follow-up needed', notes: '' });

      const rangOut = await alex.ok('placeCallback', { callbackId: id });
      await student.next('callbackRinging', (c) => c.callId === rangOut.callId);
      expect(await student.next('callEnded', (e) => e.callId === rangOut.callId, 6000)).toEqual(jasmine.objectContaining({ outcome: 'unanswered', endedBy: 'system' }));

      const record = await eventually(async () => {
        const r = (await http<CallbackRecord>(alex, 'GET', `/api/callbacks/${id}`)).body;
        return r.attempts === 3 ? r : null;
      });
      expect(record.life.filter((e) => e.type === 'attempt').map((e) => [e.note, e.callId])).toEqual([
        ['Phoned the number given: voicemail', null],
        ['The student declined the call', declined.callId],
        ['No answer', rangOut.callId],
      ]);
      expect(await timeline(declined.callId)).toEqual(['dialed:Alex Agent', 'declined:Sam Student', 'ended:Sam Student', 'wrap_up_saved:Alex Agent']);
    });

    it("is taken up again after either side's page reloads: the agent's side offers anew, the student's answers", async () => {
      const alex = await harness.connect('agent');
      const student = await harness.connect('student');
      const id = await requestOf(student);
      await alex.ok('setAvailability', { state: 'available' });
      await http(alex, 'POST', `/api/agent/callbacks/${id}/take`);
      const { callId } = await alex.ok('placeCallback', { callbackId: id });
      await student.ok('acceptCallback', { callId });
      await student.ok('reportMedia', { callId, state: 'connected' });
      await alex.ok('reportMedia', { callId, state: 'connected' });
      // A student's page opened again does not take it up as a call it placed; an agent's is told it is held elsewhere.
      expect(await (await harness.newTab(student)).ok('getLiveCall', {})).toBeNull();
      const agentTab = await harness.newTab(alex);
      // Its connection is handled while Alex's first tab holds the call (it takes up nothing).
      await harness.settled();
      expect(await agentTab.ok('getLiveCall', { callbacks: true })).toEqual({ callId, role: 'agent', peer: { id: student.userId, displayName: 'Sam Student' }, heldElsewhere: true, direction: 'outbound' });
      // A page from before callbacks could be taken up asks without `callbacks` and is not given one
      // (it would take it for an inbound call and wait for an offer that never comes).
      expect(await agentTab.ok('getLiveCall', {})).toBeNull();
      expect(await agentTab.send('getLiveCall', { callbacks: false })).toEqual(refused('bad_request'));
      expect(await agentTab.send('resumeCall', { callId })).toEqual(refused('conflict'));
      const negotiate = async (offerer: TestClient, answerer: TestClient, label: string, reason?: 'resume') => {
        const offer = { callId, messageId: randomUUID(), negotiationId: randomUUID(), ...(reason ? { reason } : {}), description: { type: 'offer' as const, sdp: sdp(label) } };
        await offerer.ok('sendOffer', offer);
        expect((await answerer.next('offerRelayed', (m) => m.negotiationId === offer.negotiationId)).description).toEqual(offer.description);
        const answer = { callId, messageId: randomUUID(), negotiationId: offer.negotiationId, description: { type: 'answer' as const, sdp: sdp(`${label}-answer`) } };
        await answerer.ok('sendAnswer', answer);
        expect((await offerer.next('answerRelayed', (m) => m.negotiationId === offer.negotiationId)).description).toEqual(answer.description);
      };

      // A closed tab's socket may take a moment to be gone: the page asks again while the call is
      // held elsewhere, as the portal does, within the rate limit (2 a second after a burst of 20).
      const resume = (tab: TestClient) =>
        eventually(
          async () => {
            const reply = await tab.send('resumeCall', { callId });
            return reply.ok ? reply.data : null;
          },
          8000,
          400,
        );

      // The agent's page reloads: it holds the call again and offers a new negotiation (reason resume).
      alex.socket.disconnect();
      const alexReloaded = await harness.newTab(agentTab);
      expect(await resume(alexReloaded)).toEqual({ callId, caller: { id: student.userId, displayName: 'Sam Student' } });
      await negotiate(alexReloaded, student, 'agent-reloaded', 'resume');
      expect(await agentTab.send('resumeCall', { callId })).withContext('the reloaded page holds it').toEqual(refused('conflict'));

      // The student's page reloads: it answers again, and the agent's page is told to offer anew.
      student.socket.disconnect();
      const studentReloaded = await harness.connect('student');
      expect(await resume(studentReloaded)).toEqual({ callId, caller: { id: student.userId, displayName: 'Sam Student' } });
      expect(await alexReloaded.next('callResumed')).toEqual({ callId });
      await negotiate(alexReloaded, studentReloaded, 'student-reloaded');
      expect(await (await harness.newTab(studentReloaded)).send('resumeCall', { callId })).withContext('the reloaded page holds it').toEqual(refused('conflict'));

      expect(await timeline(callId)).toEqual(['dialed:Alex Agent', 'accepted:Sam Student', 'connected:Sam Student', 'resumed:Alex Agent', 'resumed:Sam Student']);
      await alexReloaded.ok('hangUp', { callId });
      expect((await studentReloaded.next('callEnded')).outcome).toBe('answered');
    });

    it('refuses a callback to a student in another call with conflict, whatever state the agent is in', async () => {
      const blake = await harness.connect('agent2');
      await blake.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await blake.next('callOffered', (o) => o.callId === callId);
      const alex = await harness.connect('agent');
      const id = await requestOf(student);
      await http(alex, 'POST', `/api/agent/callbacks/${id}/take`);
      const inAnotherCall = { ok: false, error: { code: 'conflict', message: 'The student is in another call; try again later' } } as const;
      // Offline (the agent's row as the last transaction left it): the student's call is what is said.
      expect(await alex.send('placeCallback', { callbackId: id })).withContext('offline').toEqual(inAnotherCall);
      await alex.ok('setAvailability', { state: 'available' });
      expect(await alex.send('placeCallback', { callbackId: id })).withContext('available').toEqual(inAnotherCall);
      expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', alex.userId).executeTakeFirstOrThrow()).state).toBe('available');
      expect(await db.selectFrom('calls').select('id').where('caller_id', '=', student.userId).execute()).toEqual([{ id: callId }]);
    });

    it('refuses whoever may not: another agent, another student, a student signed out, bad input', async () => {
      const alex = await harness.connect('agent');
      const blake = await harness.connect('agent2');
      const student = await harness.connect('student');
      const other = await harness.connect('student2');
      const id = await requestOf(student);
      await alex.ok('setAvailability', { state: 'available' });
      await blake.ok('setAvailability', { state: 'available' });

      expect(await alex.send('placeCallback', { callbackId: id })).withContext('not taken yet').toEqual(refused('forbidden'));
      await http(alex, 'POST', `/api/agent/callbacks/${id}/take`);
      expectProblem(await http(blake, 'POST', `/api/agent/callbacks/${id}/take`), 409, 'conflict');
      expectProblem(await http(blake, 'POST', `/api/agent/callbacks/${id}/attempts`, { note: 'x' }), 403, 'forbidden');
      expectProblem(await http(blake, 'POST', `/api/agent/callbacks/${id}/done`), 403, 'forbidden');
      expectProblem(await http(alex, 'POST', `/api/agent/callbacks/${id}/attempts`, { note: '  ' }), 400, 'bad_request');
      expectProblem(await http(student, 'GET', '/api/agent/callbacks'), 403, 'forbidden');
      expect(await blake.send('placeCallback', { callbackId: id })).toEqual(refused('forbidden'));
      expect(await student.send('placeCallback', { callbackId: id })).toEqual(refused('forbidden'));
      expect(await alex.send('placeCallback', { callbackId: 'nope' })).toEqual(refused('bad_request'));
      expect(await alex.send('placeCallback', { callbackId: id, extra: 1 })).toEqual(refused('bad_request'));

      const { callId } = await alex.ok('placeCallback', { callbackId: id });
      await student.next('callbackRinging');
      // A callback ringing at a student is nobody waiting in the queue.
      const supervisor = await harness.connect('supervisor');
      expect((await http<QueueSnapshot>(supervisor, 'GET', '/api/queue')).body.callsWaiting).toBe(0);
      expect((await http(supervisor, 'GET', '/metrics')).text).toMatch(/^switchboard_calls_waiting 0$/m);
      expect(await alex.send('placeCallback', { callbackId: id })).withContext('already calling').toEqual(refused('conflict'));
      expect(await other.send('acceptCallback', { callId })).toEqual(refused('forbidden'));
      expect(await other.send('declineCallback', { callId })).toEqual(refused('forbidden'));
      expect(await blake.send('acceptCallback', { callId })).toEqual(refused('forbidden'));
      expect(await other.send('sendAnswer', { callId, messageId: randomUUID(), description: { type: 'answer', sdp: sdp('x') } })).toEqual(refused('forbidden'));
      expect(await blake.send('sendOffer', { callId, messageId: randomUUID(), description: { type: 'offer', sdp: sdp('x') } })).toEqual(refused('forbidden'));
      expect(other.seen('callbackRinging')).toEqual([]);
      // The agent gives up while it rings: an attempt, and wrap-up.
      await alex.ok('hangUp', { callId });
      expect(await student.next('callEnded')).toEqual(jasmine.objectContaining({ callId, outcome: 'unanswered', endedBy: 'agent' }));
      expect(await student.send('acceptCallback', { callId })).toEqual(refused('invalid_state'));
      await alex.ok('completeWrapUp', { callId, disposition: 'Other', notes: '' });

      await student.close();
      await eventually(async () => !(await http<CallbackRequest>(alex, 'GET', `/api/callbacks/${id}`)).body.studentOnline);
      expect(await alex.send('placeCallback', { callbackId: id })).withContext('student signed out').toEqual(refused('invalid_state'));
      await pause(10);
      expect(await db.selectFrom('calls').select('id').where('direction', '=', 'outbound').execute()).toEqual([{ id: callId }]);
    });
  });
}
