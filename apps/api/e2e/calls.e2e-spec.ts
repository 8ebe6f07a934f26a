import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, pause, type TestClient } from './call-clients';
import { call } from './support';

const sdp = (label: string) => `v=0\r\no=- ${label} 2 IN IP4 127.0.0.1\r\ns=-\r\n`;
/** Matches an error ack with this code. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });
const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Calls over Socket.IO [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, { SHORT_ABANDON_SECONDS: '0' });
    const connect = (username: string) => harness.connect(username);
    let db: Kysely<Database>;
    beforeEach(() => (db = harness.app.app.get<Kysely<Database>>(DATABASE)));

    async function available(username: string): Promise<TestClient> {
      const agent = await connect(username);
      await agent.ok('setAvailability', { state: 'available' });
      await pause(5); // distinct idle_since, so longest-idle order is the order of this helper's calls
      return agent;
    }

    async function timeline(callId: string): Promise<string[]> {
      const rows = await db.selectFrom('call_events').select(['type', 'actor_name']).where('call_id', '=', callId).orderBy('seq').execute();
      return rows.map((r) => (r.actor_name ? `${r.type}:${r.actor_name}` : r.type));
    }

    it('answers that no agents are available and creates no call when nobody is working', async () => {
      await connect('agent'); // connected but Offline
      const student = await connect('student');
      expect(await student.send('requestCall', {})).toEqual({ ok: false, error: { code: 'no_agents_available', message: NO_AGENTS_MESSAGE } });
      expect(await db.selectFrom('calls').selectAll().execute()).toEqual([]);
      // Nothing of it is left: no timeline, no deadline.
      expect(await db.selectFrom('call_events').selectAll().execute()).toEqual([]);
      expect(await db.selectFrom('deadlines').selectAll().where('kind', '=', 'max_wait').execute()).toEqual([]);
      // And the student may call once someone works.
      const alex = await available('agent2');
      await student.ok('requestCall', {});
      await alex.next('callOffered');
    });

    it('offers a call to the longest-idle agent on all their tabs, with its place in line', async () => {
      const alex = await available('agent');
      const alexTab = await harness.newTab(alex);
      const blake = await available('agent2');
      const student = await connect('student');
      const position = await student.ok('requestCall', {});
      expect(position).toEqual({ callId: jasmine.any(String), position: 1, estimatedWaitSeconds: null, staffed: true });
      for (const tab of [alex, alexTab]) {
        const offer = await tab.next('callOffered');
        expect(offer.callId).toBe(position.callId);
        expect(offer.caller.displayName).toBe('Sam Student');
        expect(Date.parse(offer.ringsOutAt) - Date.now()).toBeGreaterThan(15_000);
      }
      await pause(100);
      expect(blake.seen('callOffered')).toEqual([]);
      expect((await alex.next('agentStatusChanged', (s) => s.state === 'ringing')).callId).toBe(position.callId);
    });

    it('relays offer, answer and candidates only between the parties, refusing anyone else', async () => {
      const alex = await available('agent');
      const blake = await connect('agent2');
      const student = await connect('student');
      const other = await connect('student2');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('offer') } };
      await student.ok('sendOffer', offer);
      expect(await alex.next('offerRelayed')).toEqual(offer);

      const forbidden = refused('forbidden');
      expect(await other.send('sendOffer', { ...offer, messageId: randomUUID() })).toEqual(forbidden);
      expect(await other.send('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(9) })).toEqual(forbidden);
      const answer = { callId, messageId: randomUUID(), description: { type: 'answer' as const, sdp: sdp('answer') } };
      expect(await alex.send('sendAnswer', answer)).withContext('ringing, not accepted yet').toEqual(forbidden);
      expect(await blake.send('sendAnswer', answer)).toEqual(forbidden);
      expect(await blake.send('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(8) })).toEqual(forbidden);
      expect(await student.send('sendAnswer', answer)).withContext('students send no answers').toEqual(forbidden);

      await alex.ok('acceptCall', { callId });
      await alex.ok('sendAnswer', answer);
      expect(await student.next('answerRelayed')).toEqual(answer);
      const fromAgent = { callId, messageId: randomUUID(), candidate: candidate(1) };
      await alex.ok('sendCandidate', fromAgent);
      expect(await student.next('candidateRelayed')).toEqual(fromAgent);
      const fromCaller = { callId, messageId: randomUUID(), candidate: candidate(2) };
      await student.ok('sendCandidate', fromCaller);
      await student.ok('sendCandidate', fromCaller);
      expect(await alex.next('candidateRelayed', (c) => c.messageId === fromCaller.messageId)).toEqual(fromCaller);

      await pause(150);
      expect(alex.seen('candidateRelayed').filter((c) => c.messageId === fromCaller.messageId)).withContext('duplicate not relayed twice').toEqual([]);
      for (const outsider of [blake, other]) {
        expect([...outsider.seen('offerRelayed'), ...outsider.seen('answerRelayed'), ...outsider.seen('candidateRelayed')]).toEqual([]);
      }
      expect(student.seen('answerRelayed')).toEqual([]);
    });

    it('answers malformed, oversized or unauthorized payloads with an error ack and stays up', async () => {
      const alex = await connect('agent');
      const student = await connect('student');
      const badRequest = refused('bad_request');
      const callId = randomUUID();
      const big = { callId, messageId: randomUUID(), description: { type: 'offer', sdp: 'x'.repeat(65 * 1024) } };
      expect(await student.send('sendOffer', big)).toEqual(badRequest);
      expect(await student.send('sendOffer', { callId: 'call-1', messageId: randomUUID(), description: { type: 'offer', sdp: 'v=0' } })).toEqual(badRequest);
      expect(await student.send('sendCandidate', { callId, messageId: randomUUID(), candidate: { candidate: 'x'.repeat(3000) } })).toEqual(badRequest);
      expect(await student.send('requestCall', { queue: 'vip' })).toEqual(badRequest);
      expect(await alex.send('acceptCall', undefined)).toEqual(badRequest);
      expect(await alex.send('acceptCall', 'nonsense')).toEqual(badRequest);
      expect(await alex.send('setAvailability', { state: 'on_call' })).toEqual(badRequest);
      expect(await alex.send('requestCall', {})).toEqual({ ok: false, error: { code: 'forbidden', message: 'Only students may do this' } });
      expect(await student.send('acceptCall', { callId })).toEqual(jasmine.objectContaining({ ok: false }));
      expect(await student.send('hangUp', { callId })).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'forbidden' }) }));
      expect((await alex.send('setAvailability', { state: 'away' })).ok).toBeTrue();
    });

    it('gives an agent whose page reloaded while ringing the held offer and candidates on accept', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('held') } };
      const candidates = [1, 2].map((n) => ({ callId, messageId: randomUUID(), candidate: candidate(n) }));
      await student.ok('sendOffer', offer);
      for (const c of candidates) await student.ok('sendCandidate', c);
      await alex.close();

      const reloaded = await connect('agent');
      expect((await reloaded.next('callOffered')).callId).toBe(callId);
      const accepted = await reloaded.ok('acceptCall', { callId });
      expect(accepted.caller.displayName).toBe('Sam Student');
      expect(await reloaded.next('offerRelayed', (o) => o.messageId === offer.messageId)).toEqual(offer);
      for (const c of candidates) expect(await reloaded.next('candidateRelayed', (m) => m.messageId === c.messageId)).toEqual(c);
      expect((await student.next('callAccepted')).agent.displayName).toBe('Alex Agent');
    });

    it('holds at most 64 of a call\'s candidates, still relaying the rest live', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const candidates = Array.from({ length: 70 }, (_, n) => ({ callId, messageId: randomUUID(), candidate: candidate(n) }));
      for (const c of candidates) await student.ok('sendCandidate', c);
      for (const c of candidates) expect(await alex.next('candidateRelayed', (m) => m.messageId === c.messageId)).toEqual(c);
      const held = await db.selectFrom('call_signals').select('message_id').where('call_id', '=', callId).where('kind', '=', 'candidate').execute();
      expect(held.map((h) => h.message_id).sort()).toEqual(candidates.slice(0, 64).map((c) => c.messageId).sort());

      await alex.close();
      const reloaded = await connect('agent');
      await reloaded.next('callOffered');
      await pause(300);
      expect(reloaded.seen('candidateRelayed').map((c) => c.messageId)).withContext('in arrival order').toEqual(candidates.slice(0, 64).map((c) => c.messageId));
    });

    it('re-sends held candidates in arrival order even when many share one millisecond', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('o') } };
      await student.ok('sendOffer', offer);
      const candidates = Array.from({ length: 40 }, (_, n) => ({ callId, messageId: randomUUID(), candidate: candidate(n) }));
      for (const c of candidates) await student.ok('sendCandidate', c);
      // Every held candidate in one millisecond (as in a real burst), stored in another order than
      // they arrived (ties come back in storage order): only the sequence can tell their order.
      const held = await db.selectFrom('call_signals').selectAll().where('call_id', '=', callId).where('kind', '=', 'candidate').execute();
      await db.deleteFrom('call_signals').where('call_id', '=', callId).where('kind', '=', 'candidate').execute();
      for (const row of held.reverse()) await db.insertInto('call_signals').values({ ...row, created_at: '2026-01-01T12:00:00.000Z' }).execute();
      const arrived = candidates.map((c) => c.messageId);
      // A burst handled concurrently: every one held, each with its own number.
      const burst = Array.from({ length: 20 }, (_, n) => ({ callId, messageId: randomUUID(), candidate: candidate(100 + n) }));
      expect((await Promise.all(burst.map((c) => student.send('sendCandidate', c)))).every((r) => r.ok)).toBeTrue();
      const seqs = await db.selectFrom('call_signals').select('seq').where('call_id', '=', callId).orderBy('seq').execute();
      expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 61 }, (_, n) => n + 1));
      await db.deleteFrom('call_signals').where('call_id', '=', callId).where('message_id', 'in', burst.map((c) => c.messageId)).execute();
      await alex.close();
      const reloaded = await connect('agent');
      await reloaded.next('callOffered');
      await reloaded.next('offerRelayed');
      await pause(300);
      expect(reloaded.seen('candidateRelayed').map((c) => c.messageId)).toEqual(arrived);
    });

    it('lets exactly one of two agents (or tabs) win a call', async () => {
      const alex = await available('agent');
      const alexTab = await harness.newTab(alex);
      const blake = await available('agent2');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const replies = await Promise.all([alex, alexTab, blake].map((c) => c.send('acceptCall', { callId })));
      expect(replies.filter((r) => r.ok).length).toBe(1);
      expect(replies.filter((r) => !r.ok).map((r) => (r.ok ? null : r.error.code))).toEqual(['conflict', 'conflict']);
      expect(replies[2].ok).withContext('not offered to Blake').toBeFalse();
      const loser = replies[0].ok ? alexTab : alex;
      expect(await loser.next('offerWithdrawn')).toEqual({ callId, reason: 'taken_elsewhere' });
      await student.next('callAccepted');
      await pause(100);
      expect(student.seen('callAccepted')).toEqual([]);
      expect((await db.selectFrom('calls').select(['state', 'agent_name']).where('id', '=', callId).executeTakeFirstOrThrow())).toEqual({ state: 'accepted', agent_name: 'Alex Agent' });
    });

    it('ends a call cancelled while queued as abandoned, and withdraws one cancelled while ringing', async () => {
      const alex = await available('agent');
      const first = await connect('student');
      const second = await connect('student2');
      const ringing = await first.ok('requestCall', {});
      const queued = await second.ok('requestCall', {});
      expect(queued.position).toBe(2);
      await second.ok('cancelCall', { callId: queued.callId });
      expect(await second.next('callEnded')).toEqual({ callId: queued.callId, outcome: 'abandoned', endedBy: 'caller', reason: 'cancelled' });
      expect(await timeline(queued.callId)).toEqual(['queued:Kim Student', 'cancelled:Kim Student', 'ended:Kim Student']);

      await first.ok('cancelCall', { callId: ringing.callId });
      expect(await alex.next('offerWithdrawn')).toEqual({ callId: ringing.callId, reason: 'cancelled' });
      await alex.next('agentStatusChanged', (s) => s.state === 'available');
      const row = await db.selectFrom('calls').selectAll().where('id', '=', ringing.callId).executeTakeFirstOrThrow();
      expect(row).toEqual(jasmine.objectContaining({ state: 'ended', outcome: 'abandoned', end_reason: 'cancelled', ended_by: 'caller', agent_id: null }));
    });

    it('offers the oldest waiting call to an agent who becomes Available', async () => {
      const alex = await available('agent');
      const callers = [await connect('student'), await connect('student2'), await connect('student3')];
      const first = await callers[0].ok('requestCall', {});
      await alex.ok('acceptCall', { callId: (await alex.next('callOffered')).callId });
      const second = await callers[1].ok('requestCall', {});
      await pause(5);
      const third = await callers[2].ok('requestCall', {});
      expect([first.position, second.position, third.position]).toEqual([1, 1, 2]);
      const blake = await available('agent2');
      expect((await blake.next('callOffered')).callId).toBe(second.callId);
      await blake.ok('acceptCall', { callId: second.callId });
      expect((await callers[2].next('queueUpdated', (q) => q.position === 1)).callId).toBe(third.callId);
      const casey = await available('agent3');
      expect((await casey.next('callOffered')).callId).toBe(third.callId);
    });

    it('moves a declined call to the next agent, keeps its place, and does not re-offer it to a decliner within the cool-down', async () => {
      const alex = await available('agent');
      const blake = await available('agent2');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('declineCall', { callId });
      expect(await student.next('callDeclined')).toEqual({ callId });
      expect((await blake.next('callOffered')).callId).toBe(callId);
      await blake.ok('declineCall', { callId });
      await pause(200);
      expect(alex.seen('callOffered')).withContext('both declined less than a ring timeout (20 s) ago').toEqual([]);
      expect(blake.seen('callOffered')).toEqual([]);
      const row = await db.selectFrom('calls').select(['state', 'ringing_agent_id']).where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toEqual({ state: 'queued', ringing_agent_id: null });
      expect(await timeline(callId)).toEqual(['queued:Sam Student', 'offered:Alex Agent', 'declined:Alex Agent', 'offered:Blake Agent', 'declined:Blake Agent']);
    });

    it('tells a student whose call waits while no agent is working that a call is in progress, not that no agents are available', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('declineCall', { callId });
      await alex.next('agentStatusChanged', (s) => s.state === 'available');
      // Nobody works now; the call still waits (until its maximum wait).
      await alex.ok('setAvailability', { state: 'away' });
      expect((await db.selectFrom('calls').select('state').where('id', '=', callId).executeTakeFirstOrThrow()).state).toBe('queued');
      const otherTab = await harness.newTab(student);
      expect(await otherTab.send('requestCall', {})).toEqual({ ok: false, error: { code: 'conflict', message: 'You already have a call in progress' } });
      // With no call in progress, nobody working is what the student is told.
      await student.ok('cancelCall', { callId });
      expect(await otherTab.send('requestCall', {})).toEqual({ ok: false, error: { code: 'no_agents_available', message: NO_AGENTS_MESSAGE } });
    });

    it('lets a student with two tabs place only one call when both ask at once', async () => {
      await available('agent');
      const tab1 = await connect('student');
      const tab2 = await harness.newTab(tab1);
      for (let round = 0; round < 2; round++) {
        // Two at a time (requestCall allows a burst of 5 per user).
        const replies = await Promise.all([tab1.send('requestCall', {}), tab2.send('requestCall', {})]);
        expect(replies.filter((r) => r.ok).length).withContext(`round ${round}`).toBe(1);
        expect(replies.filter((r) => !r.ok)).toEqual([refused('conflict')]);
        const active = await db.selectFrom('calls').select('id').where('caller_id', '=', tab1.userId).where('state', '!=', 'ended').execute();
        expect(active.length).toBe(1);
        await tab1.ok('cancelCall', { callId: active[0].id });
      }
    });

    it('routes a call behind more than 100 queued calls the free agent has just declined', async () => {
      const alex = await available('agent');
      const now = new Date();
      for (let n = 0; n < 120; n++) {
        const id = randomUUID();
        const userId = randomUUID();
        const queuedAt = new Date(now.getTime() - 60_000 + n).toISOString();
        await db.insertInto('users').values({ id: userId, username: `caller${n}`, display_name: `Caller ${n}`, role: 'student', password_hash: 'x', created_at: queuedAt }).execute();
        await db
          .insertInto('calls')
          .values({ id, state: 'queued', caller_id: userId, caller_name: `Caller ${n}`, queued_at: queuedAt, outcome: null, agent_id: null, agent_name: null, ringing_agent_id: null, rings_out_at: null, answered_at: null, connected_at: null, ended_at: null, ended_by: null, end_reason: null, queue_ms: null, talk_ms: null, wrap_up_ms: null, disposition: null, notes: null })
          .execute();
        await db.insertInto('call_events').values({ id: randomUUID(), call_id: id, seq: 1, at: now.toISOString(), type: 'declined', actor_id: alex.userId, actor_name: 'Alex Agent', detail: null }).execute();
      }
      const student = await connect('student');
      const { callId, position } = await student.ok('requestCall', {});
      expect(position).toBe(121);
      expect((await alex.next('callOffered')).callId).toBe(callId);
    });

    it('records a hung-up call as answered with talk time, then saves the wrap-up', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const supervisor = await connect('supervisor');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await student.ok('sendOffer', { callId, messageId: randomUUID(), description: { type: 'offer', sdp: sdp('o') } });
      await alex.ok('acceptCall', { callId });
      await alex.ok('reportMedia', { callId, state: 'connected' });
      await student.ok('reportMedia', { callId, state: 'connected' });
      expect(await db.selectFrom('call_signals').selectAll().where('call_id', '=', callId).execute()).withContext('held signals dropped').toEqual([]);
      await pause(300);
      await student.ok('hangUp', { callId });
      const ended = { callId, outcome: 'answered', endedBy: 'caller', reason: 'hung_up' };
      expect(await student.next('callEnded')).toEqual(ended as never);
      expect(await alex.next('callEnded')).toEqual(ended as never);
      const wrapUp = await alex.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      expect(Date.parse(wrapUp.wrapUpEndsAt ?? '') - Date.now()).toBeGreaterThan(50_000);
      await supervisor.next('agentStatusChanged', (s) => s.state === 'wrap_up');

      expect(await alex.send('completeWrapUp', { callId, disposition: 'Sorted', notes: '' })).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'bad_request' }) }));
      await alex.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: 'Reset the password' });
      await alex.next('agentStatusChanged', (s) => s.state === 'available');
      const row = await db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow();
      expect(row).toEqual(jasmine.objectContaining({ state: 'ended', outcome: 'answered', ended_by: 'caller', end_reason: 'hung_up', disposition: 'Resolved', notes: 'Reset the password' }));
      expect(Number(row.talk_ms)).toBeGreaterThanOrEqual(250);
      expect(Number(row.wrap_up_ms)).toBeGreaterThanOrEqual(0);
      expect(row.queue_ms).not.toBeNull();
      expect(await timeline(callId)).toEqual([
        'queued:Sam Student',
        'offered:Alex Agent',
        'accepted:Alex Agent',
        'connected:Alex Agent',
        'ended:Sam Student',
        'wrap_up_saved:Alex Agent',
      ]);
      const changes = await db.selectFrom('agent_state_changes').select(['from_state', 'to_state']).where('agent_id', '=', alex.userId).orderBy('at').execute();
      expect(changes.map((c) => `${c.from_state}>${c.to_state}`)).toEqual(['offline>available', 'available>ringing', 'ringing>on_call', 'on_call>wrap_up', 'wrap_up>available']);
    });

    it('puts an agent whose page reconnects during an accepted call back on it: held signaling again, later candidates too', async () => {
      const alex = await available('agent');
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      const offer = { callId, messageId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('offer') } };
      const early = { callId, messageId: randomUUID(), candidate: candidate(1) };
      await student.ok('sendOffer', offer);
      await student.ok('sendCandidate', early);
      await alex.ok('acceptCall', { callId });
      await alex.close();

      const reloaded = await connect('agent');
      expect((await reloaded.next('agentStatusChanged', (s) => s.connected)).state).toBe('on_call');
      expect(await reloaded.next('offerRelayed')).toEqual(offer);
      expect(await reloaded.next('candidateRelayed')).toEqual(early);
      const late = { callId, messageId: randomUUID(), candidate: candidate(2) };
      await student.ok('sendCandidate', late);
      expect(await reloaded.next('candidateRelayed')).toEqual(late);

      // Media connected: a second tab opened meanwhile is just a tab, the call stays with the first.
      await reloaded.ok('reportMedia', { callId, state: 'connected' });
      const other = await harness.newTab(reloaded);
      const later = { callId, messageId: randomUUID(), candidate: candidate(3) };
      await student.ok('sendCandidate', later);
      expect(await reloaded.next('candidateRelayed')).toEqual(later);
      await pause(100);
      expect([...other.seen('offerRelayed'), ...other.seen('candidateRelayed')]).toEqual([]);
      await reloaded.ok('hangUp', { callId });
      expect((await student.next('callEnded')).endedBy).toBe('agent');
    });

    it('serves the call settings to signed-in users', async () => {
      const login = await call<{ accessToken: string }>(harness.app.url, 'POST', '/api/auth/login', { body: { username: 'agent', password: 'switchboard' } });
      const res = await call(harness.app.url, 'GET', '/api/call-settings', { token: login.body.accessToken });
      expect(res.body).toEqual({
        ringTimeoutSeconds: 20,
        maxWaitSeconds: 300,
        wrapUpSeconds: 60,
        wrapUpMaxSeconds: 300,
        dispositionRequired: false,
        dispositions: ['Resolved', 'Escalated', 'Follow-up needed', 'Wrong number', 'Other'],
      });
      expect((await call(harness.app.url, 'GET', '/api/call-settings')).status).toBe(401);
    });
  });
}
