import type { Kysely } from 'kysely';
import type { CallMetrics, MetricsReport } from '@switchboard/call-domain';
import { RETENTION_BATCH_SIZE, retentionCutoff } from '../src/calls/retention.service';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { seedMonth } from '../src/supervisor/seeding/month-seeder';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { eventually } from './call-clients';
import { DEMO_USERS, call, signIn } from './support';

const DAY_MS = 86_400_000;

/** The figures that do not move with the clock. */
function settled(m: CallMetrics): Omit<CallMetrics, 'longestCurrentWaitSeconds'> {
  const { longestCurrentWaitSeconds: _, ...rest } = m;
  return rest;
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`Retention (RETENTION_MONTHS) [${dialect}] (e2e)`, () => {
    let app: TestApp;
    let pg: TestPostgresDatabase | undefined;
    afterEach(async () => {
      await app.close();
      await pg?.drop();
    });

    it('deletes calls older than the cutoff with their timelines and callbacks, in batches, audits the pass, and keeps their figures', async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      app = await startTestApp({ RETENTION_MONTHS: '1', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      await app.seed(DEMO_USERS);
      const db = app.app.get<Kysely<Database>>(DATABASE);
      // The first pass runs at start-up (nothing to delete yet) and the next is due in a day.
      const first = await eventually(async () => (await db.selectFrom('retention_runs').selectAll().execute())[0]);
      expect(first).toEqual(jasmine.objectContaining({ months: 1, calls_deleted: 0, batches: 0 }));

      const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
      const seeded = await seedMonth(db, { seed: 7, days: 75, callsPerDay: 40, end: today, dispositions: ['Resolved'] });
      const cutoff = retentionCutoff(new Date(), 1).toISOString();
      const count = async (table: 'calls' | 'call_events' | 'callback_requests', before: boolean) => {
        let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n'));
        if (table !== 'calls') q = q.where(`${table}.call_id`, 'in', db.selectFrom('calls').select('id').where('queued_at', before ? '<' : '>=', cutoff));
        else q = q.where('queued_at', before ? '<' : '>=', cutoff);
        return Number((await q.executeTakeFirstOrThrow()).n);
      };
      // A callback request on an old call (a quiet desk leaves few of its own).
      const oldCall = await db.selectFrom('calls').select(['id', 'caller_id', 'queued_at']).where('queued_at', '<', cutoff).where('id', 'not in', db.selectFrom('callback_requests').select('call_id').where('call_id', 'is not', null)).executeTakeFirstOrThrow();
      await db.insertInto('callback_requests').values({ id: '00000000-0000-4000-8000-0000000c0001', call_id: oldCall.id, student_id: oldCall.caller_id, name: 'Old caller', note: null, created_at: oldCall.queued_at, done_at: null, done_by: null }).execute();
      const old = { calls: await count('calls', true), events: await count('call_events', true), callbacks: await count('callback_requests', true) };
      const kept = { calls: await count('calls', false), events: await count('call_events', false) };
      expect(old.calls).toBeGreaterThan(RETENTION_BATCH_SIZE);
      expect(old.callbacks).toBeGreaterThan(0);

      const token = (await signIn(app.url, 'supervisor')).accessToken;
      const whole = new URLSearchParams({ from: seeded.from, to: seeded.to }).toString();
      const metrics = async (query: string) => (await call<MetricsReport>(app.url, 'GET', `/api/metrics?${query}`, { token })).body;
      const before = await metrics(whole);
      expect(before.aggregatedBefore).toBeNull();
      expect(before.metrics.offered).toBe(old.calls + kept.calls);

      // The daily pass falls due now.
      await db.updateTable('deadlines').set({ due_at: new Date().toISOString() }).where('kind', '=', 'retention').execute();
      const run = await eventually(async () => (await db.selectFrom('retention_runs').selectAll().where('calls_deleted', '>', 0).execute())[0]);
      expect(run).toEqual(
        jasmine.objectContaining({
          months: 1,
          cutoff,
          calls_deleted: old.calls,
          events_deleted: old.events,
          callbacks_deleted: old.callbacks,
          batches: Math.ceil(old.calls / RETENTION_BATCH_SIZE),
        }),
      );
      expect(Date.parse(run.finished_at)).toBeGreaterThanOrEqual(Date.parse(run.started_at));
      expect([await count('calls', true), await count('call_events', true), await count('callback_requests', true)]).toEqual([0, 0, 0]);
      expect([await count('calls', false), await count('call_events', false)]).toEqual([kept.calls, kept.events]);
      const next = await db.selectFrom('deadlines').select('due_at').where('kind', '=', 'retention').executeTakeFirstOrThrow();
      expect(Date.parse(next.due_at)).toBeGreaterThan(Date.now() + DAY_MS - 60_000);

      // The roll-ups keep the deleted calls' figures; a raw recomputation no longer sees them.
      const after = await metrics(whole);
      expect(settled(after.metrics)).toEqual(settled(before.metrics));
      expect(after.aggregatedBefore).toBe(cutoff);
      const raw = await metrics(`${whole}&source=raw`);
      expect(raw.metrics.offered).toBe(kept.calls);
    });
  });
}

describe('Retention beside the calls’ deadlines [sqlite] (e2e)', () => {
  let app: TestApp;
  afterEach(() => app.close());

  it('runs the calls’ deadlines that fall due during a long pass instead of after it', async () => {
    app = await startTestApp({ RETENTION_MONTHS: '1' });
    await app.seed(DEMO_USERS);
    const db = app.app.get<Kysely<Database>>(DATABASE);
    await eventually(async () => (await db.selectFrom('retention_runs').selectAll().execute())[0]);
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await seedMonth(db, { seed: 11, days: 75, callsPerDay: 150, dispositions: ['Resolved'], end: today });
    const old = Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll<number>().as('n')).where('queued_at', '<', retentionCutoff(new Date(), 1).toISOString()).executeTakeFirstOrThrow()).n);
    expect(old).toBeGreaterThan(4 * RETENTION_BATCH_SIZE);

    // The pass falls due, and just after it a ring timeout (of a call that has gone: it only has to run).
    const now = Date.now();
    await db.updateTable('deadlines').set({ due_at: new Date(now).toISOString() }).where('kind', '=', 'retention').execute();
    await db.insertInto('deadlines').values({ id: 'ring-timeout-during-retention', kind: 'ring_timeout', subject_id: 'gone-call', due_at: new Date(now + 1).toISOString(), claimed_by: null, claimed_at: null }).execute();
    const ringedOutAt = await eventually(async () => ((await db.selectFrom('deadlines').select('id').where('id', '=', 'ring-timeout-during-retention').executeTakeFirst()) ? null : Date.now()), 60_000);
    const run = await eventually(async () => (await db.selectFrom('retention_runs').selectAll().where('calls_deleted', '>', 0).execute())[0], 60_000);
    expect(run.calls_deleted).toBe(old);
    expect(ringedOutAt).withContext('the ring timeout ran before the pass finished').toBeLessThan(Date.parse(run.finished_at));
  });
});
