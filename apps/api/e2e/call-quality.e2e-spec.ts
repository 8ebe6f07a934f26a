import { judgeQuality, type AgentBoardEntry, type CallDetail, type CallRecord, type Page } from '@switchboard/call-domain';
import { sql, type Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, eventually, type TestClient } from './call-clients';
import { call } from './support';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });

const CLEAN = { rttMs: 20, jitterMs: 5, lossPercent: 0 };
const LOSSY = { rttMs: 20, jitterMs: 5, lossPercent: 20 };

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`call quality reports [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect);

    type Parties = { student: TestClient; agent: TestClient; supervisor: TestClient; callId: string };
    async function ringing(): Promise<Parties> {
      const supervisor = await harness.connect('supervisor');
      const agent = await harness.connect('agent');
      await agent.ok('setAvailability', { state: 'available' });
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered');
      return { student, agent, supervisor, callId };
    }
    async function inProgress(): Promise<Parties> {
      const parties = await ringing();
      await parties.agent.ok('acceptCall', { callId: parties.callId });
      return parties;
    }
    const get = <T>(client: TestClient, path: string) => call<T>(harness.app.url, 'GET', path, { token: client.login.accessToken });

    it('takes samples only from the parties of a call in progress, and refuses bad figures', async () => {
      const { student, agent, supervisor, callId } = await ringing();
      // Ringing: not in progress yet.
      expect(await student.send('reportQuality', { callId, ...CLEAN })).toEqual(refused('invalid_state'));
      await agent.ok('acceptCall', { callId });

      const otherAgent = await harness.connect('agent2');
      const otherStudent = await harness.connect('student2');
      expect(await otherAgent.send('reportQuality', { callId, ...CLEAN })).toEqual(refused('forbidden'));
      expect(await otherStudent.send('reportQuality', { callId, ...CLEAN })).toEqual(refused('forbidden'));
      expect(await supervisor.send('reportQuality', { callId, ...CLEAN })).toEqual(refused('forbidden'));
      expect(await student.send('reportQuality', { callId: crypto.randomUUID(), ...CLEAN })).toEqual(refused('forbidden'));
      expect(await student.send('reportQuality', { callId, ...CLEAN, lossPercent: 120 })).toEqual(refused('bad_request'));
      expect(await student.send('reportQuality', { callId, ...CLEAN, jitterMs: -1 })).toEqual(refused('bad_request'));
      expect(await student.send('reportQuality', { callId, ...CLEAN, extra: 1 })).toEqual(refused('bad_request'));
      expect(await student.send('reportQuality', { callId })).toEqual(refused('bad_request'));
      // Nothing refused was stored.
      expect((await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body.quality).toBeNull();

      await student.ok('reportQuality', { callId, ...CLEAN });
      // Its own rate limit (10, then 1/s): a flood is refused, and a hang-up still goes through.
      const flood = await Promise.all(Array.from({ length: 12 }, () => student.send('reportQuality', { callId, ...CLEAN })));
      expect(flood.filter((ack) => !ack.ok).length).toBeGreaterThanOrEqual(3);
      expect(flood.filter((ack) => !ack.ok)).toEqual(flood.filter((ack) => !ack.ok).map(() => refused('rate_limited')));
      await student.ok('hangUp', { callId });
      expect(await agent.send('reportQuality', { callId, ...CLEAN })).toEqual(refused('invalid_state'));
      const samples = (await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body.quality?.samples;
      expect(samples).toBe(1 + flood.filter((ack) => ack.ok).length);
    });

    it('keeps the summary of both parties\' samples in the database, shows the latest on the live board and tells supervisors', async () => {
      const { student, agent, supervisor, callId } = await inProgress();
      await student.ok('reportQuality', { callId, ...CLEAN, mos: 1 }); // the browser's MOS is recomputed
      await agent.ok('reportQuality', { callId, rttMs: 450, jitterMs: 8, lossPercent: 1 });
      await student.ok('reportQuality', { callId, ...LOSSY });
      const change = await supervisor.next('callQualityChanged', (c) => c.quality.lossPercent === 20);
      expect(change).toEqual({ callId, quality: jasmine.objectContaining({ mos: 2.25, level: 'poor', warnings: ['high-packet-loss', 'low-mos'] }) });

      const board = await eventually(async () => {
        const agents = (await get<AgentBoardEntry[]>(supervisor, '/api/agents')).body;
        return agents.find((a) => a.agentId === agent.userId && a.callQuality);
      });
      expect(board.callQuality).toEqual(jasmine.objectContaining({ mos: 2.25, level: 'poor', lossPercent: 20 }));

      const { quality } = (await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body;
      expect(quality).toEqual({
        samples: 3,
        minMos: 2.25,
        avgMos: jasmine.any(Number),
        maxLossPercent: 20,
        maxRttMs: 450,
        maxJitterMs: 8,
        warningSamples: 2,
        warnings: { 'high-rtt': 1, 'high-packet-loss': 1, 'low-mos': 2 },
        poor: true,
        latest: jasmine.objectContaining({ lossPercent: 20, mos: 2.25, at: jasmine.any(String) }),
      });
      const mos = [CLEAN, { rttMs: 450, jitterMs: 8, lossPercent: 1 }, LOSSY].map((f) => judgeQuality(f).mos);
      expect(quality?.avgMos).toBeCloseTo((mos[0] + mos[1] + mos[2]) / 3, 2);
    });

    it("records each kind of warning once in the call's timeline, by whoever measured it first, not every sample", async () => {
      const { student, agent, supervisor, callId } = await inProgress();
      const warningsSoFar = async () =>
        (await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body.timeline.filter((e) => e.type === 'quality_warning').map((e) => `${e.detail}:${e.actorName}`);
      await student.ok('reportQuality', { callId, ...CLEAN });
      expect(await warningsSoFar()).toEqual([]);

      // High delay (round trip above 400 ms), which also brings the MOS under 3.5.
      const delayed = { rttMs: 450, jitterMs: 8, lossPercent: 1 };
      expect(judgeQuality(delayed).warnings).toEqual(['high-rtt', 'low-mos']);
      await agent.ok('reportQuality', { callId, ...delayed });
      expect(await warningsSoFar()).toEqual(['high delay:Alex Agent', 'low MOS:Alex Agent']);

      // Both parties report loss at once, several times: one entry, whichever sample came first.
      const reports = await Promise.all([student, agent, student, agent].map((party) => party.send('reportQuality', { callId, ...LOSSY })));
      expect(reports.every((ack) => ack.ok)).toBeTrue();
      const afterLoss = await warningsSoFar();
      expect(afterLoss.slice(0, 2)).toEqual(['high delay:Alex Agent', 'low MOS:Alex Agent']);
      expect(afterLoss.slice(2)).toEqual([jasmine.stringMatching(/^packet loss:(Sam Student|Alex Agent)$/)]);

      await student.ok('reportQuality', { callId, rttMs: 20, jitterMs: 45, lossPercent: 0 });
      await agent.ok('reportQuality', { callId, ...delayed });
      expect((await warningsSoFar()).slice(3)).toEqual(['high jitter:Sam Student']);

      // The timeline reads in order with the call's other entries; nothing after the call ended.
      await student.ok('hangUp', { callId });
      const types = (await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body.timeline.map((e) => e.type);
      expect(types).toEqual(['queued', 'offered', 'accepted', 'quality_warning', 'quality_warning', 'quality_warning', 'quality_warning', 'ended']);
    });

    it('never counts a sample whose warning could not reach the timeline: the next sample raises it', async () => {
      const { student, supervisor, callId } = await inProgress();
      const db = harness.app.app.get<symbol, Kysely<Database>>(DATABASE);
      // The database refuses the timeline's warning entry once (a disk full, a lost connection…).
      if (dialect === 'sqlite') {
        await sql`create trigger refuse_warning before insert on call_events when new.type = 'quality_warning' begin select raise(abort, 'disk full'); end`.execute(db);
      } else {
        await sql`create function refuse_warning() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`.execute(db);
        await sql`create trigger refuse_warning before insert on call_events for each row when (new.type = 'quality_warning') execute function refuse_warning()`.execute(db);
      }
      expect((await student.send('reportQuality', { callId, ...LOSSY })).ok).toBeFalse();
      if (dialect === 'sqlite') await sql`drop trigger refuse_warning`.execute(db);
      else await sql`drop trigger refuse_warning on call_events; drop function refuse_warning()`.execute(db);

      // Nor is the call marked poor without it (the history's filter reads the mark).
      const poorCalls = async () => (await get<Page<CallRecord>>(supervisor, '/api/calls?quality=poor')).body.items.map((c) => c.id);
      expect(await poorCalls()).toEqual([]);

      await student.ok('reportQuality', { callId, ...LOSSY });
      const { timeline, quality } = (await get<CallDetail>(supervisor, `/api/calls/${callId}`)).body;
      expect(timeline.filter((e) => e.type === 'quality_warning').map((e) => e.detail)).toEqual(['packet loss', 'low MOS']);
      expect(quality?.samples).toBe(1);
      expect(await poorCalls()).toEqual([callId]);
    });

    it('marks a call poor in the sample that first crosses a threshold, and filters the history on it (pages, counts, sorts, the CSV export)', async () => {
      const db = harness.app.app.get<symbol, Kysely<Database>>(DATABASE);
      const marked = async () => (await db.selectFrom('calls').select(['id', 'poor_quality']).orderBy('queued_at').execute()).map((r) => [r.id, r.poor_quality]);
      const first = await inProgress();
      await first.student.ok('reportQuality', { callId: first.callId, ...CLEAN });
      expect(await marked()).toEqual([[first.callId, 0]]);
      await first.agent.ok('reportQuality', { callId: first.callId, ...LOSSY });
      expect(await marked()).toEqual([[first.callId, 1]]);
      await first.student.ok('reportQuality', { callId: first.callId, ...LOSSY });
      await first.student.ok('hangUp', { callId: first.callId });
      await first.agent.ok('completeWrapUp', { callId: first.callId, disposition: 'Resolved', notes: '' });

      const { callId: clean } = await first.student.ok('requestCall', {});
      await first.agent.next('callOffered', (o) => o.callId === clean);
      await first.agent.ok('acceptCall', { callId: clean });
      await first.student.ok('reportQuality', { callId: clean, ...CLEAN });
      await first.student.ok('hangUp', { callId: clean });
      expect(await marked()).toEqual([[first.callId, 1], [clean, 0]]);
      // The mark says what the summaries say.
      const summaries = await db.selectFrom('call_quality').select(['call_id', 'warning_samples']).orderBy('call_id').execute();
      expect(summaries.map((q) => [q.call_id, Number(q.warning_samples) > 0 ? 1 : 0])).toEqual([[first.callId, 1], [clean, 0]].sort());

      const all = (await get<Page<CallRecord>>(first.supervisor, '/api/calls')).body;
      expect(all.total).toBe(2);
      const { agentId, outcome } = all.items.find((c) => c.id === first.callId) as CallRecord;
      for (const query of ['', '&count=capped', '&sort=talkSeconds', '&sort=outcome&dir=asc', `&agentId=${agentId}`, `&outcome=${outcome},abandoned`, `&agentId=${agentId}&outcome=${outcome}&sort=agentName`]) {
        const poor = (await get<Page<CallRecord>>(first.supervisor, `/api/calls?quality=poor${query}`)).body;
        expect(poor.items.map((c) => c.id)).withContext(query).toEqual([first.callId]);
        expect(poor.total).withContext(query).toBe(1);
        const csv = await get<string>(first.supervisor, `/api/calls/export.csv?quality=poor${query.replace('&count=capped', '')}`);
        expect(csv.text).withContext(query).toContain(first.callId);
        expect(csv.text).withContext(query).not.toContain(clean);
      }
      expect((await get<Page<CallRecord>>(first.supervisor, '/api/calls?quality=poor&outcome=abandoned')).body.total).toBe(0);
      expect((await get<Page<CallRecord>>(first.supervisor, '/api/calls?quality=poor&agentId=00000000-0000-4000-8000-000000000000')).body.total).toBe(0);
      expect((await get(first.supervisor, '/api/calls?quality=awful')).status).toBe(400);
    });
  });
}
