import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, eventually } from './call-clients';

const sdp = (label: string) => `v=0\r\no=- ${label} 2 IN IP4 127.0.0.1\r\ns=-\r\n`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`A connected call offered again [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect);

    async function timeline(callId: string): Promise<string[]> {
      const db = harness.app.app.get<Kysely<Database>>(DATABASE);
      const rows = await db.selectFrom('call_events').select(['type', 'actor_name']).where('call_id', '=', callId).orderBy('seq').execute();
      return rows.map((r) => (r.actor_name ? `${r.type}:${r.actor_name}` : r.type));
    }

    /** A call the agent accepted, media not connected yet. */
    async function acceptedCall() {
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered');
      await agent.ok('acceptCall', { callId });
      await student.next('callAccepted');
      return { agent, student, callId };
    }

    it('records an ICE restart or a resume in the timeline, by the reason of the new offer', async () => {
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      const first = randomUUID();
      await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'offer', sdp: sdp('1') } });
      await agent.next('callOffered');
      await agent.ok('acceptCall', { callId });
      await agent.ok('sendAnswer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'answer', sdp: sdp('2') } });
      await student.ok('reportMedia', { callId, state: 'connected' });
      await agent.ok('reportMedia', { callId, state: 'connected' });

      expect(await student.send('sendOffer', { callId, messageId: randomUUID(), negotiationId: randomUUID(), reason: 'reload', description: { type: 'offer', sdp: sdp('3') } })).toEqual(
        refused('bad_request'),
      );
      const restart = { callId, messageId: randomUUID(), negotiationId: randomUUID(), reason: 'ice_restart' as const, description: { type: 'offer' as const, sdp: sdp('3') } };
      await student.ok('sendOffer', restart);
      expect(await agent.next('offerRelayed', (m) => m.negotiationId === restart.negotiationId)).toEqual(restart);
      const resume = { ...restart, messageId: randomUUID(), negotiationId: randomUUID(), reason: 'resume' as const };
      await student.ok('sendOffer', resume);
      expect((await timeline(callId)).slice(-2)).toEqual(['ice_restarted:Sam Student', 'resumed:Sam Student']);
    });

    it("lets the agent's reloaded page resume the call, tells the caller, and refuses a second tab or another agent", async () => {
      const { agent, student, callId } = await acceptedCall();

      // A second tab while the first holds the call: refused, and the caller hears nothing.
      const secondTab = await harness.newTab(agent);
      expect(await secondTab.send('resumeCall', { callId })).toEqual(refused('conflict'));
      const otherAgent = await harness.connect('agent2');
      expect(await otherAgent.send('resumeCall', { callId })).toEqual(refused('forbidden'));
      expect(await (await harness.connect('student2')).send('resumeCall', { callId })).toEqual(refused('forbidden'));

      // The first tab reloads: its socket goes, the reloaded page's socket takes the call up again.
      agent.socket.disconnect();
      const reloaded = await harness.newTab(secondTab);
      expect(await reloaded.ok('resumeCall', { callId })).toEqual({ callId, caller: { id: student.userId, displayName: 'Sam Student' } });
      expect(await student.next('callResumed')).toEqual({ callId });
      expect((await timeline(callId)).at(-1)).toBe('resumed:Alex Agent');
      // Now the reloaded page holds it: the other tab still cannot.
      expect(await secondTab.send('resumeCall', { callId })).toEqual(refused('conflict'));

      await student.ok('hangUp', { callId });
      expect(await reloaded.send('resumeCall', { callId })).toEqual(refused('invalid_state'));
    });

    it('tells a page opened again after its tab closed which call its user is in, and whether another tab holds it', async () => {
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      expect(await student.ok('getLiveCall', {})).toBeNull();
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered');
      // Waiting or ringing is nothing to take up again.
      expect(await student.ok('getLiveCall', {})).toBeNull();
      expect(await agent.ok('getLiveCall', {})).toBeNull();
      await agent.ok('acceptCall', { callId });
      await student.next('callAccepted');
      const asAgent = { callId, role: 'agent' as const, peer: { id: student.userId, displayName: 'Sam Student' }, direction: 'inbound' as const };
      const asCaller = { callId, role: 'caller' as const, peer: { id: agent.userId, displayName: 'Alex Agent' }, direction: 'inbound' as const };
      expect(await agent.ok('getLiveCall', {})).toEqual({ ...asAgent, heldElsewhere: false });

      // Second tabs while the first ones are open: the call is held elsewhere.
      const agentTab = await harness.newTab(agent);
      const studentTab = await harness.newTab(student);
      expect(await agentTab.ok('getLiveCall', {})).toEqual({ ...asAgent, heldElsewhere: true });
      expect(await studentTab.ok('getLiveCall', {})).toEqual({ ...asCaller, heldElsewhere: true });
      expect(await (await harness.connect('agent2')).ok('getLiveCall', {})).toBeNull();

      // The first tabs close: the open ones may take the call (the agent's with resumeCall).
      agent.socket.disconnect();
      student.socket.disconnect();
      await eventually(async () => !(await agentTab.ok('getLiveCall', {}))?.heldElsewhere);
      expect(await agentTab.ok('getLiveCall', {})).toEqual({ ...asAgent, heldElsewhere: false });
      await eventually(async () => !(await studentTab.ok('getLiveCall', {}))?.heldElsewhere);
      expect(await agentTab.ok('resumeCall', { callId })).toEqual({ callId, caller: asAgent.peer });
      expect(await studentTab.ok('resumeCall', { callId })).toEqual({ callId, caller: asAgent.peer });

      await studentTab.ok('hangUp', { callId });
      expect(await studentTab.ok('getLiveCall', {})).toBeNull();
      expect(await agentTab.ok('getLiveCall', {})).toBeNull();
    });

    it('gives a call to only one of two pages that take it up at the same moment, on either side', async () => {
      const { agent, student, callId } = await acceptedCall();
      // Both first tabs go (a browser that crashed); the browser restores two tabs of each at once.
      agent.socket.disconnect();
      student.socket.disconnect();
      await harness.settled();
      const agentTabs = await Promise.all([harness.newTab(agent), harness.newTab(agent)]);
      const studentTabs = await Promise.all([harness.newTab(student), harness.newTab(student)]);
      await harness.settled();

      // An agent's tab takes its call up as it connects when no other tab holds it: one of them did.
      const agentViews = await Promise.all(agentTabs.map((tab) => tab.ok('getLiveCall', {})));
      expect(agentViews.map((view) => view?.heldElsewhere).sort()).toEqual([false, true]);
      const studentAnswers = await Promise.all(studentTabs.map((tab) => tab.send('resumeCall', { callId })));
      expect(studentAnswers.filter((ack) => ack.ok).length).withContext(JSON.stringify(studentAnswers)).toBe(1);
      expect(studentAnswers.find((ack) => !ack.ok)).toEqual(refused('conflict'));
      const agentAnswers = await Promise.all(agentTabs.map((tab) => tab.send('resumeCall', { callId })));
      expect(agentAnswers.filter((ack) => ack.ok).length).withContext(JSON.stringify(agentAnswers)).toBe(1);
      // The same tab again is fine; the other one stays refused.
      const agentHolder = agentTabs[agentAnswers.findIndex((ack) => ack.ok)];
      const studentLoser = studentTabs[studentAnswers.findIndex((ack) => !ack.ok)];
      expect((await agentHolder.send('resumeCall', { callId })).ok).toBeTrue();
      expect(await studentLoser.send('resumeCall', { callId })).toEqual(refused('conflict'));
    });

    it("lets a student's page opened again take the call up while another idle tab of theirs stays open, and refuses the others", async () => {
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const holding = await harness.connect('student');
      const idle = await harness.newTab(holding);
      const { callId } = await holding.ok('requestCall', {});
      await agent.next('callOffered');
      await agent.ok('acceptCall', { callId });
      await holding.next('callAccepted');
      const asCaller = { callId, role: 'caller' as const, peer: { id: agent.userId, displayName: 'Alex Agent' }, direction: 'inbound' as const };

      // The tab that placed the call holds it: the idle tab is told so and cannot take it.
      expect(await idle.ok('getLiveCall', {})).toEqual({ ...asCaller, heldElsewhere: true });
      expect(await idle.send('resumeCall', { callId })).toEqual(refused('conflict'));
      expect(await holding.ok('getLiveCall', {})).toEqual({ ...asCaller, heldElsewhere: false });

      // The holding tab closes; the idle one stays open. A page opened again finds the call free.
      holding.socket.disconnect();
      const reopened = await harness.newTab(idle);
      await eventually(async () => !(await reopened.ok('getLiveCall', {}))?.heldElsewhere);
      expect(await reopened.ok('resumeCall', { callId })).toEqual({ callId, caller: { id: holding.userId, displayName: 'Sam Student' } });
      // It offers again from its new peer connection; the agent's page gets the offer.
      const resume = { callId, messageId: randomUUID(), negotiationId: randomUUID(), reason: 'resume' as const, description: { type: 'offer' as const, sdp: sdp('reopened') } };
      await reopened.ok('sendOffer', resume);
      expect(await agent.next('offerRelayed', (m) => m.negotiationId === resume.negotiationId)).toEqual(resume);
      // Now the reopened page holds it: the idle tab and a further one are still refused.
      expect(await idle.ok('getLiveCall', {})).toEqual({ ...asCaller, heldElsewhere: true });
      expect(await idle.send('resumeCall', { callId })).toEqual(refused('conflict'));
      expect(await (await harness.newTab(idle)).send('resumeCall', { callId })).toEqual(refused('conflict'));

      // Same call all along: answered once, never back in line, resumed once (by the new offer).
      expect(await timeline(callId)).toEqual(['queued:Sam Student', 'offered:Alex Agent', 'accepted:Alex Agent', 'resumed:Sam Student']);
      await reopened.ok('hangUp', { callId });
    });
  });
}
