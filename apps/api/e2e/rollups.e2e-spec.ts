import type { Kysely } from 'kysely';
import type { MetricsReport } from '@switchboard/call-domain';
import { rebuildRollups } from '../src/calls/ledger/call-rollups';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { callAppPerSpec } from './call-clients';
import { call } from './support';

/** Every roll-up row (rows whose counts all went back to 0 are no figure), in a stable order. */
async function rollups(db: Kysely<Database>): Promise<unknown[]> {
  const calls = await db.selectFrom('call_rollups').selectAll().where('calls', '<>', 0).orderBy('bucket_start').orderBy('outcome').execute();
  const waits = await db.selectFrom('call_wait_rollups').selectAll().where('calls', '<>', 0).orderBy('day').orderBy('outcome').orderBy('wait_s').execute();
  const missed = await db.selectFrom('call_missed_rollups').selectAll().where('missed', '<>', 0).orderBy('bucket_start').orderBy('agent_id').execute();
  return [...calls, ...waits, ...missed].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' || /^\d+$/.test(String(v)) ? Number(v) : v])));
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Metrics roll-ups kept by the ledger [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, { RING_TIMEOUT_SECONDS: '1', SHORT_ABANDON_SECONDS: '2' });

    it('equal a recomputation from the records after calls are answered, wrapped up, abandoned and missed; live calls count too', async () => {
      const db = harness.app.app.get<Kysely<Database>>(DATABASE);
      const alex = await harness.connect('agent');
      const blake = await harness.connect('agent2');
      const sam = await harness.connect('student');
      const kim = await harness.connect('student2');
      const supervisor = await harness.connect('supervisor');
      await alex.ok('setAvailability', { state: 'available' });

      // Rings out at Alex (a missed offer), then Blake answers, talks, hangs up and wraps up.
      const answered = await sam.ok('requestCall', {});
      await alex.next('callOffered');
      await alex.next('agentStatusChanged', (s) => s.state === 'missed');
      await blake.ok('setAvailability', { state: 'available' });
      await blake.next('callOffered', (o) => o.callId === answered.callId);
      await blake.ok('acceptCall', { callId: answered.callId });
      await blake.ok('reportMedia', { callId: answered.callId, state: 'connected' });
      await sam.ok('hangUp', { callId: answered.callId });
      await blake.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      await blake.ok('completeWrapUp', { callId: answered.callId, disposition: 'Resolved', notes: '' });
      // Nobody available: Kim hangs up while waiting (abandoned), then waits again (live).
      const abandoned = await kim.ok('requestCall', {});
      await kim.ok('hangUp', { callId: abandoned.callId });
      const waiting = await kim.ok('requestCall', {});

      const kept = await rollups(db);
      expect(kept.length).toBeGreaterThan(0);
      const day = new Date().toISOString().slice(0, 10);
      const from = `${day}T00:00:00.000Z`;
      const to = new Date(Date.parse(from) + 2 * 86_400_000).toISOString();
      await db.transaction().execute((trx) => rebuildRollups(trx, new Date(Date.parse(from) - 86_400_000).toISOString(), to));
      expect(await rollups(db)).toEqual(kept);

      const token = supervisor.login.accessToken;
      const query = `from=${new Date(Date.parse(from) - 86_400_000).toISOString()}&to=${to}&serviceLevelSeconds=1`;
      const fast = await call<MetricsReport>(harness.app.url, 'GET', `/api/metrics?${query}`, { token });
      const raw = await call<MetricsReport>(harness.app.url, 'GET', `/api/metrics?${query}&source=raw`, { token });
      expect([fast.body.source, raw.body.source]).toEqual(['rollups', 'raw']);
      // Everything but the real-time wait, which moves between the two requests; the averages
      // are sums of the same durations in another order (milliseconds, then seconds).
      const exact = (m: MetricsReport['metrics']) => ({ ...m, longestCurrentWaitSeconds: 0, averageSpeedOfAnswerSeconds: 0, averageHandleTimeSeconds: 0 });
      expect(exact(fast.body.metrics)).toEqual(exact(raw.body.metrics));
      expect(fast.body.metrics.averageSpeedOfAnswerSeconds).toBeCloseTo(raw.body.metrics.averageSpeedOfAnswerSeconds ?? NaN, 9);
      expect(fast.body.metrics.averageHandleTimeSeconds).toBeCloseTo(raw.body.metrics.averageHandleTimeSeconds ?? NaN, 9);
      expect(fast.body.metrics).toEqual(jasmine.objectContaining({ offered: 3, answered: 1, abandoned: 1, callsWaiting: 1 }));
      expect(fast.body.metrics.missedOffers).toEqual([jasmine.objectContaining({ agentName: 'Alex Agent', missedOffers: 1 })]);
      expect(fast.body.metrics.averageHandleTimeSeconds).toBeGreaterThan(0);
      await kim.ok('hangUp', { callId: waiting.callId });
    });
  });
}
