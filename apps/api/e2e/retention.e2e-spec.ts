import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { CallbackRecord, CallMetrics, MetricsReport } from '@switchboard/call-domain';
import { RETENTION_BATCH_SIZE, RetentionService, retentionCutoff } from '../src/calls/retention.service';
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
      // A done callback request on an old call (a quiet desk leaves few of its own): it goes with its call.
      const oldCall = await db.selectFrom('calls').select(['id', 'caller_id', 'queued_at']).where('queued_at', '<', cutoff).where('id', 'not in', db.selectFrom('callback_requests').select('call_id').where('call_id', 'is not', null)).executeTakeFirstOrThrow();
      const supervisor = await db.selectFrom('users').select('id').where('username', '=', 'supervisor').executeTakeFirstOrThrow();
      await db.insertInto('callback_requests').values({ id: '00000000-0000-4000-8000-0000000c0001', call_id: oldCall.id, student_id: oldCall.caller_id, name: 'Old caller', note: null, created_at: oldCall.queued_at, done_at: oldCall.queued_at, done_by: supervisor.id }).execute();
      // And one nobody has called back yet: it stays.
      const waiting = await db.selectFrom('calls').select(['id', 'caller_id', 'queued_at']).where('queued_at', '<', cutoff).where('id', 'not in', db.selectFrom('callback_requests').select('call_id').where('call_id', 'is not', null)).executeTakeFirstOrThrow();
      await db.insertInto('callback_requests').values({ id: '00000000-0000-4000-8000-0000000c0002', call_id: waiting.id, student_id: waiting.caller_id, name: 'Waiting caller', note: null, created_at: waiting.queued_at, done_at: null, done_by: null }).execute();
      // A name only old calls were made under: the student search must forget it with them.
      await db.updateTable('calls').set({ caller_name: 'Forgotten Caller' }).where('id', '=', oldCall.id).execute();
      const old = { calls: await count('calls', true), events: await count('call_events', true), callbacks: await count('callback_requests', true) };
      const kept = { calls: await count('calls', false), events: await count('call_events', false) };
      // The old requests not done yet stay, with the calls they were left on and their timelines.
      const open = db.selectFrom('callback_requests').select('call_id').where('done_at', 'is', null).where('call_id', 'in', db.selectFrom('calls').select('id').where('queued_at', '<', cutoff));
      const held = {
        calls: Number((await db.selectFrom(open.as('o')).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n),
        events: Number((await db.selectFrom('call_events').select((eb) => eb.fn.countAll<number | string>().as('n')).where('call_id', 'in', open).executeTakeFirstOrThrow()).n),
      };
      expect(old.calls).toBeGreaterThan(RETENTION_BATCH_SIZE);
      expect(old.callbacks).toBeGreaterThan(held.calls);
      expect(held.calls).toBeGreaterThan(0);

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
          calls_deleted: old.calls - held.calls,
          events_deleted: old.events - held.events,
          callbacks_deleted: old.callbacks - held.calls,
          batches: Math.ceil(old.calls / RETENTION_BATCH_SIZE),
          status: 'completed',
        }),
      );
      expect(Date.parse(run.finished_at)).toBeGreaterThanOrEqual(Date.parse(run.started_at));
      expect([await count('calls', true), await count('call_events', true), await count('callback_requests', true)]).toEqual([held.calls, held.events, held.calls]);
      expect([await count('calls', false), await count('call_events', false)]).toEqual([kept.calls, kept.events]);
      const next = await db.selectFrom('deadlines').select('due_at').where('kind', '=', 'retention').executeTakeFirstOrThrow();
      expect(Date.parse(next.due_at)).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
      // The student search's callers are the stored calls' (caller, name) pairs, no more.
      const pairs = (rows: { caller_id: string; caller_name: string }[]) => rows.map((r) => `${r.caller_id} ${r.caller_name}`).sort();
      const searched = pairs(await db.selectFrom('call_callers').select(['caller_id', 'caller_name']).execute());
      expect(searched).toEqual(pairs(await db.selectFrom('calls').select(['caller_id', 'caller_name']).distinct().execute()));
      expect(searched).not.toContain(`${oldCall.caller_id} Forgotten Caller`);
      const found = await call<{ items: unknown[] }>(app.url, 'GET', `/api/calls?student=Forgotten`, { token });
      expect(found.body.items).toEqual([]);
      if (dialect === 'sqlite') {
        const indexed = await sql<{ n: number }>`select count(*) as n from call_callers_search where call_callers_search match '"Forgotten"'`.execute(db);
        expect(indexed.rows[0].n).toBe(0);
      }

      // The roll-ups keep the deleted calls' figures; a raw recomputation no longer sees them.
      const after = await metrics(whole);
      expect(settled(after.metrics)).toEqual(settled(before.metrics));
      expect(after.aggregatedBefore).toBe(cutoff);
      const raw = await metrics(`${whole}&source=raw`);
      expect(raw.metrics.offered).toBe(kept.calls + held.calls);
    });

    it('keeps callback requests not done yet with their calls, and a done one while any of its calls is within retention', async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      app = await startTestApp({ RETENTION_MONTHS: '1', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      await app.seed(DEMO_USERS);
      const db = app.app.get<Kysely<Database>>(DATABASE);
      await eventually(async () => (await db.selectFrom('retention_runs').selectAll().execute())[0]);
      const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
      await seedMonth(db, { seed: 5, days: 60, callsPerDay: 10, end: today, dispositions: ['Resolved'] });
      const cutoff = retentionCutoff(new Date(), 1);
      const users = Object.fromEntries((await db.selectFrom('users').select(['id', 'username']).execute()).map((u) => [u.username, u.id]));
      // Old calls of no request, a week or more before the cutoff: each one a student's call a request was left on.
      const old = await db
        .selectFrom('calls')
        .selectAll()
        .where('queued_at', '<', new Date(cutoff.getTime() - 7 * DAY_MS).toISOString())
        .where('id', 'not in', db.selectFrom('callback_requests').select('call_id').where('call_id', 'is not', null))
        .orderBy('queued_at')
        .limit(5)
        .execute();
      const request = async (key: string, left: (typeof old)[number], life: { taken?: boolean; done?: boolean }) => {
        const id = `00000000-0000-4000-8000-0000000c000${key}`;
        await db
          .insertInto('callback_requests')
          .values({ id, call_id: left.id, student_id: left.caller_id, name: left.caller_name, note: `request ${key}`, created_at: left.queued_at, done_at: life.done ? left.queued_at : null, done_by: life.done ? users['supervisor'] : null, taken_by: life.taken ? users['alex'] : null, taken_at: life.taken ? left.queued_at : null })
          .execute();
        if (life.taken) await db.insertInto('callback_events').values({ id: `${id}-taken`, callback_id: id, at: left.queued_at, type: 'taken', actor_id: users['alex'], actor_name: 'Alex', note: null, call_id: null }).execute();
        return id;
      };
      // An agent's call back for a request, placed at `queuedAt` and unanswered.
      const placed = async (callbackId: string, left: (typeof old)[number], queuedAt: Date) => {
        const id = randomUUID();
        const at = queuedAt.toISOString();
        await db.insertInto('calls').values({ ...left, id, direction: 'outbound', callback_id: callbackId, outcome: 'unanswered', queued_at: at, answered_at: null, connected_at: null, ended_at: at, queue_ms: 0, talk_ms: null, wrap_up_ms: null }).execute();
        await db.insertInto('callback_events').values({ id: `${id}-placed`, callback_id: callbackId, at, type: 'call_placed', actor_id: users['alex'], actor_name: 'Alex', note: null, call_id: id }).execute();
        return id;
      };
      const recently = new Date(Date.now() - DAY_MS);
      const [a, b, c, d, e] = old;
      const open = await request('1', a, {});
      const taken = await request('2', b, { taken: true });
      const takenCalledBack = await placed(taken, b, recently);
      const doneCalledBackRecently = await request('3', c, { taken: true, done: true });
      const recentCallBack = await placed(doneCalledBackRecently, c, recently);
      const doneLongAgo = await request('4', d, { taken: true, done: true });
      const oldCallBack = await placed(doneLongAgo, d, new Date(Date.parse(d.queued_at) + 3_600_000));
      const takenLongAgo = await request('5', e, { taken: true });
      const oldTakenCallBack = await placed(takenLongAgo, e, new Date(Date.parse(e.queued_at) + 3_600_000));

      const result = await app.app.get(RetentionService).deleteBefore(cutoff);
      expect(result.complete).toBeTrue();
      const ids = async (table: 'calls' | 'callback_requests', of: string[]) => (await db.selectFrom(table).select('id').where('id', 'in', of).orderBy('id').execute()).map((r) => r.id).sort();
      expect(await ids('callback_requests', [open, taken, doneCalledBackRecently, doneLongAgo, takenLongAgo])).toEqual([open, taken, doneCalledBackRecently, takenLongAgo].sort());
      expect(await ids('calls', [a.id, b.id, takenCalledBack, c.id, recentCallBack, d.id, oldCallBack, e.id, oldTakenCallBack])).toEqual([a.id, b.id, takenCalledBack, c.id, recentCallBack, e.id, oldTakenCallBack].sort());
      expect(await db.selectFrom('callback_events').select('id').where('callback_id', '=', doneLongAgo).execute()).toEqual([]);
      // Every call placed for a request still finds it, and every request the call it was left on.
      const orphans = await db
        .selectFrom('calls')
        .select('id')
        .where('callback_id', 'is not', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('callback_requests').select('callback_requests.id').whereRef('callback_requests.id', '=', 'calls.callback_id'))))
        .execute();
      expect(orphans).toEqual([]);

      // The agent who took a request still sees its whole life: the call it was left on and the call back they placed.
      const token = (await signIn(app.url, 'supervisor')).accessToken;
      const record = (await call<CallbackRecord>(app.url, 'GET', `/api/callbacks/${takenLongAgo}`, { token })).body;
      expect(record.callId).toBe(e.id);
      expect(record.life.map((l) => [l.type, l.callId, l.callOutcome])).toEqual([
        ['requested', e.id, null],
        ['taken', null, null],
        ['call_placed', oldTakenCallBack, 'unanswered'],
      ]);
      const history = await call(app.url, 'GET', `/api/calls/${a.id}`, { token });
      expect(history.status).toBe(200);

      // Once done, the request follows its newest call: it goes in the first pass after that call is past the cutoff.
      await db.updateTable('callback_requests').set({ done_at: new Date().toISOString(), done_by: users['supervisor'] }).where('id', 'in', [open, takenLongAgo]).execute();
      await app.app.get(RetentionService).deleteBefore(cutoff);
      expect(await ids('callback_requests', [open, taken, doneCalledBackRecently, takenLongAgo])).toEqual([taken, doneCalledBackRecently].sort());
      expect(await ids('calls', [a.id, e.id, oldTakenCallBack])).toEqual([]);
      await app.app.get(RetentionService).deleteBefore(new Date(Date.now() + 60_000));
      expect(await ids('callback_requests', [taken, doneCalledBackRecently])).toEqual([taken]);
      expect(await ids('calls', [b.id, takenCalledBack, c.id, recentCallBack])).toEqual([b.id, takenCalledBack].sort());
    });

    it('records a pass cut short as such, with only what it deleted, and leaves the deadline to the node that took it', async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      app = await startTestApp({ RETENTION_MONTHS: '1', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      await app.seed(DEMO_USERS);
      const db = app.app.get<Kysely<Database>>(DATABASE);
      const retention = app.app.get(RetentionService);
      await eventually(async () => (await db.selectFrom('retention_runs').selectAll().execute())[0]);
      const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
      await seedMonth(db, { seed: 3, days: 75, callsPerDay: 60, end: today, dispositions: ['Resolved'] });
      const cutoff = retentionCutoff(new Date(), 1).toISOString();
      const oldCalls = async () => Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll<number | string>().as('n')).where('queued_at', '<', cutoff).executeTakeFirstOrThrow()).n);
      const before = await oldCalls();
      expect(before).toBeGreaterThan(2 * RETENTION_BATCH_SIZE);
      const claim = async (node: string) => {
        await db.updateTable('deadlines').set({ claimed_by: node, claimed_at: new Date().toISOString() }).where('kind', '=', 'retention').execute();
        return db.selectFrom('deadlines').selectAll().where('kind', '=', 'retention').executeTakeFirstOrThrow();
      };
      const runs = () => db.selectFrom('retention_runs').selectAll().where('calls_deleted', '>', 0).orderBy('started_at').execute();

      // This node's claim went stale and another node took the deadline: this node's pass sees it after its first batch.
      const mine = await claim('this-node');
      await claim('other-node');
      await retention.run(mine);
      const [handedOver] = await runs();
      expect(handedOver).toEqual(jasmine.objectContaining({ cutoff, status: 'handed_over', batches: 1 }));
      expect(handedOver.calls_deleted).toBe(before - (await oldCalls()));
      expect(handedOver.calls_deleted).toBeLessThanOrEqual(RETENTION_BATCH_SIZE);
      // The other node's claim and due time are left as they were: it finishes the pass and schedules the next.
      const deadline = await db.selectFrom('deadlines').selectAll().where('kind', '=', 'retention').executeTakeFirstOrThrow();
      expect([deadline.claimed_by, deadline.due_at]).toEqual(['other-node', mine.due_at]);

      // A node stopping mid-pass records what it deleted, and the pass is retried.
      const left = await oldCalls();
      await expectAsync(retention.run(await claim('this-node'), () => false)).toBeRejected();
      const stopped = (await runs())[1];
      expect(stopped).toEqual(jasmine.objectContaining({ status: 'stopped', batches: 1 }));
      expect(stopped.calls_deleted).toBe(left - (await oldCalls()));

      // The pass taken up again deletes the rest and is the one recorded completed.
      const rest = await oldCalls();
      await retention.run(await claim('this-node'));
      const completed = (await runs())[2];
      expect(completed).toEqual(jasmine.objectContaining({ status: 'completed', cutoff }));
      expect(completed.calls_deleted).toBe(rest - (await oldCalls()));
      expect(Date.parse((await db.selectFrom('deadlines').select('due_at').where('kind', '=', 'retention').executeTakeFirstOrThrow()).due_at)).toBeGreaterThan(Date.now() + DAY_MS - 60_000);
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
    // (Calls whose callback request is not done yet stay.)
    const old = Number(
      (
        await db
          .selectFrom('calls')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('queued_at', '<', retentionCutoff(new Date(), 1).toISOString())
          .where('id', 'not in', db.selectFrom('callback_requests').select('call_id').where('done_at', 'is', null).where('call_id', 'is not', null))
          .executeTakeFirstOrThrow()
      ).n,
    );
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
