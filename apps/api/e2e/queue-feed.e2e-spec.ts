import { randomUUID } from 'node:crypto';
import type { QueueReport, QueueSnapshot } from '@switchboard/call-domain';
import { AGENT_QUEUE_SPACING_MS, QueueFeed } from '../src/calls/queue-feed.service';
import { AGENT_SLICES } from '../src/calls/socket-rooms';
import { callAppPerSpec, eventually, pause } from './call-clients';
import { call, DEMO_PASSWORD } from './support';

const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Supervisors' and agents' queueChanged [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect);
    const connect = (username: string) => harness.connect(username);

    /** The next snapshot with these counts. */
    const counts = (waiting: number, inProgress: number) => (s: QueueSnapshot) => s.callsWaiting === waiting && s.callsInProgress === inProgress;

    it('sends the queue once on connect, then each change: a caller waiting while the only agent is on a call, then leaving', async () => {
      const supervisor = await connect('supervisor');
      expect(await supervisor.next('queueChanged')).toEqual({ callsWaiting: 0, oldestQueuedAt: null, longestWaitSeconds: null, callsInProgress: 0, generatedAt: jasmine.any(String) });

      // The only agent takes a first call, so nobody is free but someone is working.
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      const first = await connect('student');
      const { callId: firstId } = await first.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('acceptCall', { callId: firstId });
      await supervisor.next('queueChanged', counts(0, 1));

      const second = await connect('student2');
      const { callId } = await second.ok('requestCall', {});
      const waiting = await supervisor.next('queueChanged', counts(1, 1));
      expect(waiting.oldestQueuedAt).not.toBeNull();
      expect(waiting.longestWaitSeconds).toBeGreaterThanOrEqual(0);
      expect(waiting.longestWaitSeconds).toBeLessThan(5);

      await second.ok('cancelCall', { callId });
      expect(await supervisor.next('queueChanged', counts(0, 1))).toEqual(jasmine.objectContaining({ oldestQueuedAt: null, longestWaitSeconds: null }));

      await alex.ok('hangUp', { callId: firstId });
      await supervisor.next('queueChanged', counts(0, 0));
      // Agents hear of the queue too (their desk shows it); callers never do.
      await alex.next('queueChanged', counts(0, 0));
      for (const caller of [first, second]) expect(caller.seen('queueChanged')).toEqual([]);
    });

    it("does not send agents a snapshot in which only the calls in progress changed (their desk shows the calls waiting)", async () => {
      const supervisor = await connect('supervisor');
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      await alex.next('queueChanged', counts(0, 0));
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('acceptCall', { callId });
      // Answered: the caller no longer waits, which an agent's desk shows.
      await supervisor.next('queueChanged', counts(0, 1));
      await alex.next('queueChanged', counts(0, 1));
      const idle = () => alex.seen('queueChanged').filter(counts(0, 0)).length;
      const before = idle();
      await alex.ok('hangUp', { callId });
      await supervisor.next('queueChanged', counts(0, 0));
      // The same broadcast would have reached the agent by now.
      await pause(300);
      expect(idle()).withContext('snapshots with nothing in progress the agent got').toBe(before);
      // A caller waiting (Alex is in wrap-up) reaches the agents again.
      const again = await connect('student2');
      await again.ok('requestCall', {});
      await alex.next('queueChanged', counts(1, 0));
    });

    it('shows a declined call back in line, still waiting after the agent went Away', async () => {
      const supervisor = await connect('supervisor');
      await supervisor.next('queueChanged');
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('declineCall', { callId });
      await alex.ok('setAvailability', { state: 'away' });
      // Alex declined it, so it is not offered to Alex again: it waits, nothing is in progress.
      const snapshot = await supervisor.next('queueChanged', counts(1, 0));
      expect(snapshot.oldestQueuedAt).not.toBeNull();
      await pause(300);
      const later = supervisor.seen('queueChanged');
      expect(later.length === 0 || later[later.length - 1].callsWaiting === 1).withContext('the last snapshot sent is the truth').toBeTrue();
    });

    // How many snapshots a burst yields depends on timing; that changes in one tick are sent
    // once is proven by QueueFeed's unit tests. Here: a burst never leaves a stale figure.
    it('after changes made together, the last snapshot sent is the final state', async () => {
      const supervisor = await connect('supervisor');
      await supervisor.next('queueChanged');
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      const students = await Promise.all(['student', 'student2', 'student3'].map(connect));
      const calls = await Promise.all(students.map((s) => s.ok('requestCall', {})));
      await Promise.all(students.map((s, i) => s.ok('cancelCall', { callId: calls[i].callId })));
      await pause(500);
      const sent = supervisor.seen('queueChanged');
      expect(sent.length).toBeGreaterThan(0);
      expect(sent[sent.length - 1]).toEqual(jasmine.objectContaining({ callsWaiting: 0, callsInProgress: 0 }));
    });

    it("relays a call's signaling between two slices of one agents' snapshot, which every agent's tab gets", async () => {
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      const student = await connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('acceptCall', { callId });
      await alex.ok('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(0) });
      await student.next('candidateRelayed');
      // Three agents' tabs in each slice room: six more agents (none Available, so a new call waits), eight tabs each.
      const more = ['agent4', 'agent5', 'agent6', 'agent7', 'agent8'];
      await harness.app.seed(more.map((username) => ({ username, displayName: username, role: 'agent' as const, password: DEMO_PASSWORD })));
      const firstTabs = await Promise.all(['agent2', ...more].map(connect));
      const otherTabs = await Promise.all(firstTabs.flatMap((tab) => Array.from({ length: 7 }, () => harness.newTab(tab))));
      const tabs = [...firstTabs, ...otherTabs];
      expect(tabs.length).toBe(3 * AGENT_SLICES);
      await harness.settled();

      // What the tabs and the caller receive, in order; Alex sends a candidate as soon as the first tab has the snapshot.
      const order: ('snapshot' | 'relayed')[] = [];
      let relaying: Promise<unknown> | null = null;
      for (const tab of tabs) {
        tab.socket.on('queueChanged', (q) => {
          if (q.callsWaiting !== 1) return;
          order.push('snapshot');
          relaying ??= alex.ok('sendCandidate', { callId, messageId: randomUUID(), candidate: candidate(1) });
        });
      }
      student.socket.on('candidateRelayed', () => order.push('relayed'));
      await (await connect('student2')).ok('requestCall', {});
      await eventually(async () => order.filter((o) => o === 'snapshot').length === tabs.length);
      await relaying;
      await eventually(async () => order.includes('relayed'));
      expect(order.indexOf('relayed')).withContext(`relayed among ${tabs.length} tabs' snapshots: ${order.join(' ')}`).toBeLessThan(order.lastIndexOf('snapshot'));
      expect(order.filter((o) => o === 'snapshot').length).withContext('one snapshot per tab').toBe(tabs.length);
    });

    it('sends agents at most one snapshot a second during a burst of changes while supervisors get more, and the final state reaches agents', async () => {
      const supervisor = await connect('supervisor');
      // Alex on a call: the calls placed next wait (nobody else is on duty).
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      await harness.app.seed([{ username: 'student4', displayName: 'Ash Student', role: 'student', password: DEMO_PASSWORD }]);
      const { callId: talking } = await (await connect('student4')).ok('requestCall', {});
      await alex.next('callOffered');
      await alex.ok('acceptCall', { callId: talking });
      await supervisor.next('queueChanged', counts(0, 1));
      await alex.next('queueChanged', counts(0, 1));
      const got = { supervisor: [] as QueueSnapshot[], agent: [] as QueueSnapshot[] };
      const agentTimes: number[] = [];
      supervisor.socket.on('queueChanged', (q) => got.supervisor.push(q));
      alex.socket.on('queueChanged', (q) => {
        got.agent.push(q);
        agentTimes.push(performance.now());
      });
      // The calls waiting change every 100 ms for two seconds, never back to an earlier state:
      // a call placed, another, the longer waiting one cancelled, another placed, … (each caller
      // within their requestCall budget).
      const free = await Promise.all(['student', 'student2', 'student3'].map(connect));
      const waiting: { caller: (typeof free)[number]; callId: string }[] = [];
      for (let step = 0; step < 20; step++) {
        const [longest] = waiting.length < 2 ? [] : waiting.splice(0, 1);
        if (longest) {
          await longest.caller.ok('cancelCall', { callId: longest.callId });
          free.push(longest.caller);
        } else {
          const [caller] = free.splice(0, 1);
          waiting.push({ caller, callId: (await caller.ok('requestCall', {})).callId });
        }
        await pause(100);
      }
      const final = (await call<QueueReport>(harness.app.url, 'GET', '/api/queue', { token: supervisor.login.accessToken })).body;
      expect(final).toEqual(jasmine.objectContaining({ callsWaiting: waiting.length, callsInProgress: 1 }));
      const isFinal = (q: QueueSnapshot) => q.callsWaiting === final.callsWaiting && q.oldestQueuedAt === final.oldestQueuedAt;
      await supervisor.next('queueChanged', isFinal);
      await alex.next('queueChanged', isFinal);
      await harness.app.app.get(QueueFeed).settled();
      expect(got.agent[got.agent.length - 1]).withContext("the agent's last snapshot").toEqual(jasmine.objectContaining({ callsWaiting: final.callsWaiting, oldestQueuedAt: final.oldestQueuedAt }));
      const gaps = agentTimes.slice(1).map((t, i) => Math.round(t - agentTimes[i]));
      expect(Math.min(...gaps)).withContext(`ms between the agent's snapshots: ${gaps.join(', ')}`).toBeGreaterThan(AGENT_QUEUE_SPACING_MS - 100);
      expect(got.supervisor.length).withContext("supervisors' snapshots").toBeGreaterThan(got.agent.length);
    });

    it('answers GET /api/queue with the same figures and their definitions, to supervisors only', async () => {
      const alex = await connect('agent');
      await alex.ok('setAvailability', { state: 'away' });
      await alex.ok('setAvailability', { state: 'available' });
      const student = await connect('student');
      await student.ok('requestCall', {});
      const login = async (username: string) => (await call<{ accessToken: string }>(harness.app.url, 'POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } })).body.accessToken;
      const res = await call<QueueReport>(harness.app.url, 'GET', '/api/queue', { token: await login('supervisor') });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(jasmine.objectContaining({ callsWaiting: 1, callsInProgress: 0, oldestQueuedAt: jasmine.any(String) }));
      expect(res.body.definitions.callsWaiting.note).toBe('Calls queued or ringing right now.');
      expect((await call(harness.app.url, 'GET', '/api/queue', { token: await login('agent2') })).status).toBe(403);
      expect((await call(harness.app.url, 'GET', '/api/queue')).status).toBe(401);
    });
  });
}
