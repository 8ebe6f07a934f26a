import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { HistoryFiling } from '../src/calls/history-filing.service';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec, eventually } from './call-clients';
import { call, expectProblem } from './support';

const METRICS_TOKEN = 'metrics-scraper-token-for-the-e2e-suite-0123456789';

/** One scrape: every sample line as `name{labels}` → value. */
async function scrape(url: string, token: string): Promise<Map<string, number>> {
  const res = await call(url, 'GET', '/metrics', { token });
  expect(res.status).withContext(res.text).toBe(200);
  expect(res.contentType).toMatch(/^text\/plain;.*version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/** Scrapes with the metrics token until `ready` holds (or fails after 5 s). */
function scrapeUntil(url: string, ready: (samples: Map<string, number>) => boolean): Promise<Map<string, number>> {
  return eventually(async () => {
    const samples = await scrape(url, METRICS_TOKEN);
    return ready(samples) ? samples : null;
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Prometheus metrics [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, { METRICS_TOKEN, SHORT_ABANDON_SECONDS: '0' });
    const url = () => harness.app.url;

    it('are refused without the metrics token or a supervisor', async () => {
      expectProblem(await call(url(), 'GET', '/metrics'), 401, 'unauthorized');
      expectProblem(await call(url(), 'GET', '/metrics', { token: 'not-the-token' }), 401, 'unauthorized');
      const student = await harness.connect('student');
      expectProblem(await call(url(), 'GET', '/metrics', { token: student.login.accessToken }), 403, 'forbidden');
      const supervisor = await harness.connect('supervisor');
      expect((await call(url(), 'GET', '/metrics', { token: supervisor.login.accessToken })).status).toBe(200);
    });

    it('show calls waiting, agents by state, sockets, event latency, undelivered ledger events, calls ended and calls not filed during calls', async () => {
      // The filing timer stopped (as on a node whose passes fail): this test files by hand.
      const filing = harness.app.app.get(HistoryFiling);
      await filing.stop();
      const alex = await harness.connect('agent');
      await alex.ok('setAvailability', { state: 'available' });
      const blake = await harness.connect('agent2');
      await blake.ok('setAvailability', { state: 'away' });
      const sam = await harness.connect('student');
      const kim = await harness.connect('student2');
      const ringing = await sam.ok('requestCall', {});
      await alex.next('callOffered');
      const waiting = await kim.ok('requestCall', {});

      // Once this node's commits are delivered (their outbox rows go a moment after the acks).
      let samples = await scrapeUntil(url(), (latest) => latest.get('switchboard_ledger_outbox_pending') === 0);
      expect(samples.get('switchboard_calls_waiting')).toBe(2);
      expect(samples.get('switchboard_calls_in_progress')).toBe(0);
      expect(samples.get('switchboard_agents{state="ringing"}')).toBe(1);
      expect(samples.get('switchboard_agents{state="away"}')).toBe(1);
      expect(samples.get('switchboard_agents{state="available"}')).toBe(0);
      expect(samples.get('switchboard_sockets_connected{role="agent"}')).toBe(2);
      expect(samples.get('switchboard_sockets_connected{role="student"}')).toBe(2);
      expect(samples.get('switchboard_socket_event_duration_seconds_count{event="requestCall"}')).toBe(2);
      expect(samples.get('switchboard_socket_event_duration_seconds_count{event="setAvailability"}')).toBe(2);
      expect(samples.get('switchboard_socket_event_duration_seconds_bucket{le="+Inf",event="requestCall"}')).toBe(2);
      expect(samples.get('switchboard_socket_event_duration_seconds_sum{event="requestCall"}')).toBeGreaterThan(0);
      expect(samples.get('switchboard_database_query_duration_seconds_count{statement="select",outcome="ok"}')).toBeGreaterThan(0);
      expect(samples.get('switchboard_database_query_duration_seconds_count{statement="insert",outcome="ok"}')).toBeGreaterThan(0);

      // A transaction whose events are not delivered yet (as a node that died would leave it).
      const db = harness.app.app.get<Kysely<Database>>(DATABASE);
      const now = new Date().toISOString();
      await db.insertInto('ledger_outbox').values({ id: randomUUID(), created_at: now, events: '[]', claimed_by: 'another-node', claimed_at: now }).execute();
      await alex.ok('acceptCall', { callId: ringing.callId });
      await alex.ok('reportMedia', { callId: ringing.callId, state: 'connected' });

      // The left row stays; the rows of this node's own commits go once delivered.
      samples = await scrapeUntil(url(), (latest) => latest.get('switchboard_ledger_outbox_pending') === 1);
      expect(samples.get('switchboard_calls_in_progress')).toBe(1);
      expect(samples.get('switchboard_calls_waiting')).toBe(1);
      expect(samples.get('switchboard_agents{state="on_call"}')).toBe(1);
      expect(samples.get('switchboard_calls_ended_total{outcome="answered"}')).toBe(0);

      await kim.ok('cancelCall', { callId: waiting.callId });
      await kim.close();
      await alex.ok('hangUp', { callId: ringing.callId });
      samples = await scrapeUntil(url(), (latest) => latest.get('switchboard_calls_ended_total{outcome="answered"}') === 1);
      expect(samples.get('switchboard_calls_ended_total{outcome="abandoned"}')).toBe(1);
      expect(samples.get('switchboard_calls_waiting')).toBe(0);
      expect(samples.get('switchboard_agents{state="wrap_up"}')).toBe(1);
      expect(samples.get('switchboard_sockets_connected{role="student"}')).toBe(1);
      // SQLite files ended calls into the history's sort indexes in a background pass: the two
      // that ended wait for it, then none. PostgreSQL's calls never wait.
      expect(samples.get('switchboard_calls_not_filed')).toBe(dialect === 'sqlite' ? 2 : 0);
      expect(await filing.fileNow()).toBe(dialect === 'sqlite' ? 2 : 0);
      samples = await scrape(url(), METRICS_TOKEN);
      expect(samples.get('switchboard_calls_not_filed')).toBe(0);
    });
  });
}
