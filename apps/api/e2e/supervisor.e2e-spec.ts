import type { Kysely } from 'kysely';
import { CALL_SORT_KEYS, type AgentBoardEntry, type CallDetail, type CallRecord, type CallSortKey, type CallbackRequest, type MetricsReport, type Page } from '@switchboard/call-domain';
import { CallExportService } from '../src/supervisor/call-export.service';
import { DATABASE } from '../src/database/database.module';
import type { CallRow, Database } from '../src/database/schema';
import { seedMonth } from '../src/supervisor/seeding/month-seeder';
import type { SqlDialect } from '../src/config/config';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_USERS, call, expectProblem, signIn } from './support';
import { allCalls, expectRollupsEqualRaw, expectedCell, parseCsv, recomputeMetrics } from './supervisor-support';

const END = new Date('2026-11-23T00:00:00.000Z');
const WEEK = { from: '2026-11-09T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' };
const qs = (params: Record<string, string | number>) => new URLSearchParams(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]))).toString();

for (const dialect of ['sqlite', 'postgres'] as SqlDialect[]) {
  describe(`Supervisor API (e2e) [${dialect}]`, () => {
    let app: TestApp;
    let pg: TestPostgresDatabase | undefined;
    let db: Kysely<Database>;
    let rows: CallRow[];
    let token: string;
    const get = <T>(path: string, t = token) => call<T>(app.url, 'GET', path, { token: t });

    beforeAll(async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      app = await startTestApp(pg ? { DATABASE_URL: pg.url } : {});
      await app.seed(DEMO_USERS);
      db = app.app.get<Kysely<Database>>(DATABASE);
      await seedMonth(db, { seed: 11, days: 28, callsPerDay: 80, end: END, dispositions: ['Resolved', 'Other'] });
      rows = await allCalls(db);
      token = (await signIn(app.url, 'supervisor')).accessToken;
    });
    afterAll(async () => {
      await app.close();
      await pg?.drop();
    });

    /** Expected list: plain filter and sort in JS over every stored row. */
    function expected(filter: (r: CallRow) => boolean, key: keyof CallRow = 'queued_at', dir: 'asc' | 'desc' = 'desc'): CallRow[] {
      const sign = dir === 'asc' ? 1 : -1;
      const cmp = (a: unknown, b: unknown) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : (a as string) < (b as string) ? -sign : sign);
      return rows.filter(filter).sort((a, b) => cmp(a[key], b[key]) || cmp(a.queued_at, b.queued_at) || cmp(a.id, b.id));
    }

    it('seeded a month with every outcome', () => {
      expect(rows.length).toBeGreaterThan(1000);
      for (const outcome of ['answered', 'abandoned', 'short_abandon', 'failed']) expect(rows.some((r) => r.outcome === outcome)).withContext(outcome).toBeTrue();
    });

    it('pages through a period, newest first, with the right total', async () => {
      const want = expected((r) => r.queued_at >= WEEK.from && r.queued_at < WEEK.to);
      const page2 = await get<Page<CallRecord>>(`/api/calls?${qs({ ...WEEK, page: 2, pageSize: 25 })}`);
      expect(page2.status).toBe(200);
      expect(page2.body.total).toBe(want.length);
      expect([page2.body.page, page2.body.pageSize]).toEqual([2, 25]);
      expect(page2.body.items.map((c) => c.id)).toEqual(want.slice(25, 50).map((r) => r.id));
      const first = page2.body.items[0];
      const row = want[25];
      expect(first).toEqual(jasmine.objectContaining({ queuedAt: row.queued_at, callerName: row.caller_name, queueSeconds: row.queue_ms === null ? null : row.queue_ms / 1000 }));
    });

    it('filters by agent and outcomes, sorting by talk time with nulls last', async () => {
      const agentId = rows.find((r) => r.agent_id)?.agent_id ?? '';
      const want = expected((r) => r.agent_id === agentId && (r.outcome === 'answered' || r.outcome === 'failed'), 'talk_ms', 'asc');
      const res = await get<Page<CallRecord>>(`/api/calls?${qs({ agentId, outcome: 'answered,failed', sort: 'talkSeconds', dir: 'asc', pageSize: 200 })}`);
      expect(res.body.total).toBe(want.length);
      expect(res.body.items.map((c) => c.id)).toEqual(want.slice(0, 200).map((r) => r.id));
      const last = await get<Page<CallRecord>>(`/api/calls?${qs({ agentId, outcome: 'answered,failed', sort: 'talkSeconds', dir: 'asc', pageSize: 10, page: Math.ceil(want.length / 10) })}`);
      expect(last.body.items.at(-1)?.talkSeconds).toBeNull();
    });

    it('filters by student name or username, case-insensitively, and sorts by caller name', async () => {
      const byName = await get<Page<CallRecord>>(`/api/calls?${qs({ student: "o'BRIEN", sort: 'callerName', dir: 'asc', pageSize: 200 })}`);
      const want = expected((r) => r.caller_name.toLowerCase().includes("o'brien"), 'caller_name', 'asc');
      expect(want.length).toBeGreaterThan(0);
      expect(byName.body.items.map((c) => c.id)).toEqual(want.slice(0, 200).map((r) => r.id));
      const sam = DEMO_USERS[0];
      const byUsername = await get<Page<CallRecord>>(`/api/calls?${qs({ student: sam.username.toUpperCase(), pageSize: 1 })}`);
      expect(byUsername.body.total).toBe(rows.filter((r) => r.caller_name === sam.displayName || r.caller_name.toLowerCase().includes(sam.username)).length);
      expect((await get<Page<CallRecord>>(`/api/calls?${qs({ student: '100%_' })}`)).body.total).toBe(0);
    });

    it("shows a call's whole timeline in order, and 404 for an unknown call", async () => {
      const missed = await db.selectFrom('call_events').select('call_id').where('type', '=', 'missed').executeTakeFirstOrThrow();
      const events = await db.selectFrom('call_events').selectAll().where('call_id', '=', missed.call_id).orderBy('seq').execute();
      const res = await get<CallDetail>(`/api/calls/${missed.call_id}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(missed.call_id);
      expect(res.body.timeline).toEqual(events.map((e) => ({ at: e.at, type: e.type, actorId: e.actor_id, actorName: e.actor_name, detail: e.detail })));
      expect(res.body.timeline.map((e) => e.type)).toContain('missed');
      expectProblem(await get(`/api/calls/00000000-0000-4000-8000-000000000000`), 404, 'not_found');
    });

    it('exports exactly the rows the list reports, as RFC 4180 CSV with formulas neutralised', async () => {
      const filter = { ...WEEK, outcome: 'answered' };
      const list: CallRecord[] = [];
      for (let page = 1; ; page++) {
        const res = await get<Page<CallRecord>>(`/api/calls?${qs({ ...filter, dir: 'asc', page, pageSize: 200 })}`);
        list.push(...res.body.items);
        if (list.length >= res.body.total) break;
      }
      const res = await fetch(`${app.url}/api/calls/export.csv?${qs({ ...filter, dir: 'asc' })}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="calls-2026-11-09-to-2026-11-16\.csv"$/);
      const [header, ...records] = parseCsv(await res.text());
      expect(header[0]).toBe('id');
      expect(records.length).toBe(list.length);
      expect(records).toEqual(list.map((c) => header.map((column) => expectedCell(c[column as keyof CallRecord] ?? null))));
      expect(records.some((r) => r[header.indexOf('notes')].startsWith("'-"))).toBeTrue();
    });

    it("exports in the list's order for every sort key and direction, resuming across batches without loss or repeat", async () => {
      const exporter = app.app.get(CallExportService);
      const columns: Record<CallSortKey, keyof CallRow> = {
        queuedAt: 'queued_at',
        queueSeconds: 'queue_ms',
        talkSeconds: 'talk_ms',
        outcome: 'outcome',
        agentName: 'agent_name',
        callerName: 'caller_name',
      };
      // A week of every outcome (nulls and many ties in each nullable column), in batches of 7 so
      // the cursor lands on ties and inside the nulls.
      const inWeek = (r: CallRow) => r.queued_at >= WEEK.from && r.queued_at < WEEK.to;
      expect(rows.filter(inWeek).some((r) => r.talk_ms === null && r.agent_name !== null)).toBeTrue();
      for (const sort of CALL_SORT_KEYS) {
        for (const dir of ['asc', 'desc'] as const) {
          const ids: string[] = [];
          for await (const batch of exporter.batches({ ...WEEK, sort, dir }, 7)) {
            expect(batch.length).toBeLessThanOrEqual(7);
            ids.push(...batch.map((r) => r.id));
          }
          expect(ids).withContext(`${sort} ${dir}`).toEqual(expected(inWeek, columns[sort], dir).map((r) => r.id));
        }
      }
    });

    it('streams the same CSV in batches of any size: each batch read ahead follows the one written without loss, repeat or reordering', async () => {
      const exporter = app.app.get(CallExportService);
      const inWeek = (r: CallRow) => r.queued_at >= WEEK.from && r.queued_at < WEEK.to;
      const cases = [
        ['queuedAt', 'queued_at', 'desc'],
        ['talkSeconds', 'talk_ms', 'asc'],
        ['agentName', 'agent_name', 'desc'],
      ] as const;
      for (const [sort, column, dir] of cases) {
        const filter = { ...WEEK, sort, dir };
        const res = await fetch(`${app.url}/api/calls/export.csv?${qs(filter)}`, { headers: { authorization: `Bearer ${token}` } });
        const whole = await res.text();
        const [, ...records] = parseCsv(whole);
        const want = expected(inWeek, column, dir).map((r) => r.id);
        expect(records.map((r) => r[0])).withContext(`${sort} ${dir}`).toEqual(want);
        // Batches of 1 and 7 land on ties and inside the nulls; 8 divides nothing in particular.
        for (const size of [1, 7, 8]) {
          const chunks: Buffer[] = [];
          for await (const chunk of exporter.lines(filter, size)) chunks.push(chunk);
          expect(Buffer.concat(chunks).toString('utf8')).withContext(`${sort} ${dir} in batches of ${size}`).toEqual(whole);
          // The header, then one chunk per batch read.
          expect(chunks.length).toBe(1 + Math.ceil(want.length / size));
        }
      }
    });

    it('exports over HTTP in the sort and direction asked for, the same rows as the list pages', async () => {
      const filter = { ...WEEK, sort: 'agentName', dir: 'asc' };
      const list: string[] = [];
      for (let page = 1; ; page++) {
        const res = await get<Page<CallRecord>>(`/api/calls?${qs({ ...filter, page, pageSize: 200 })}`);
        list.push(...res.body.items.map((c) => c.id));
        if (list.length >= res.body.total) break;
      }
      const res = await fetch(`${app.url}/api/calls/export.csv?${qs(filter)}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const [, ...records] = parseCsv(await res.text());
      expect(records.map((r) => r[0])).toEqual(list);
      expectProblem(await get(`/api/calls/export.csv?sort=password`), 400, 'bad_request');
    });

    it('answers metrics equal to a recomputation from the stored records', async () => {
      const res = await get<MetricsReport>(`/api/metrics?${qs({ ...WEEK, serviceLevelSeconds: 30 })}`);
      expect(res.status).toBe(200);
      const missed = await db
        .selectFrom('call_events')
        .innerJoin('calls', 'calls.id', 'call_events.call_id')
        .select('call_events.actor_id')
        .where('call_events.type', '=', 'missed')
        .where('calls.queued_at', '>=', WEEK.from)
        .where('calls.queued_at', '<', WEEK.to)
        .execute();
      const want = recomputeMetrics(rows, missed.map((m) => m.actor_id ?? ''), WEEK.from, WEEK.to, 30, 5);
      const m = res.body.metrics;
      expect([m.offered, m.answered, m.abandoned, m.shortAbandoned]).toEqual([want.offered, want.answered, want.abandoned, want.shortAbandoned]);
      expect(m.answerRate).toBeCloseTo(want.answerRate, 12);
      expect(m.abandonRate).toBeCloseTo(want.abandonRate, 12);
      expect(m.averageSpeedOfAnswerSeconds).toBeCloseTo(want.averageSpeedOfAnswerSeconds, 9);
      expect(m.averageHandleTimeSeconds).toBeCloseTo(want.averageHandleTimeSeconds, 9);
      expect(m.serviceLevel).toBeCloseTo(want.serviceLevel, 12);
      expect(Object.fromEntries(m.missedOffers.map((x) => [x.agentId, x.missedOffers]))).toEqual(want.missed);
      expect(m.callsByHour.map((h) => h.offered)).toEqual(want.byHour);
      expect([m.callsWaiting, m.longestCurrentWaitSeconds]).toEqual([0, null]);
      expect(res.body.period).toEqual(WEEK);
      expect(res.body.thresholds).toEqual({ serviceLevelSeconds: 30, shortAbandonSeconds: 5, timeZone: 'UTC' });
      expect(res.body.definitions.serviceLevel.definition).toContain('answered within X ÷ (answered + abandoned − short abandons)');
    });

    it('answers the same figures from the roll-ups as recomputed from the raw records, for any period, thresholds and time zone', async () => {
      // Two calls not ended yet (read raw by both sources; two callers: one live call each), in the middle of the month.
      const live = [
        { ...rows[0], id: '00000000-0000-4000-8000-00000000a001', state: 'queued' as const, queued_at: '2026-11-10T10:20:00.000Z', outcome: null, agent_id: null, agent_name: null },
        { ...(rows.find((r) => r.caller_id !== rows[0].caller_id) ?? rows[0]), id: '00000000-0000-4000-8000-00000000a002', state: 'connected' as const, queued_at: '2026-11-10T10:21:00.000Z', outcome: null, connected_at: '2026-11-10T10:21:30.000Z' },
      ].map((r) => ({ ...r, ended_at: null, ended_by: null, end_reason: null, talk_ms: null, wrap_up_ms: null, disposition: null }));
      await db.insertInto('calls').values(live).execute();
      try {
        const periods = [
          { from: '2026-10-26T00:00:00.000Z', to: END.toISOString() },
          { from: '2026-10-28T09:07:13.250Z', to: '2026-11-12T16:52:00.001Z' },
          { from: '2026-11-10T10:15:00.000Z', to: '2026-11-10T14:45:00.000Z' },
          { from: '2026-11-05T11:50:00.000Z', to: '2026-11-05T12:05:00.000Z' },
          // Over a year: read in pieces of at most a year (two at a time), cut at a UTC midnight inside the seeded month.
          { from: new Date(END.getTime() - 376 * 86_400_000 + 13 * 3_600_000).toISOString(), to: END.toISOString() },
          // From year 1: planned from the first call stored (else 740 000 days, on the event loop).
          { from: '0001-01-01T00:00:00.000Z', to: END.toISOString() },
        ];
        // Whole-hour, half-hour and quarter-hour offsets, and summer time ending on 1 November.
        const zones = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns'];
        let compared = 0;
        for (const [i, period] of periods.entries()) {
          for (const [j, timeZone] of zones.entries()) {
            const params = { ...period, timeZone, serviceLevelSeconds: [20, 7, 45][(i + j) % 3], shortAbandonSeconds: [5, 0, 12][(i + 2 * j) % 3] };
            const raw = await expectRollupsEqualRaw(app.url, token, params);
            compared += raw.metrics.offered;
          }
        }
        expect(compared).toBeGreaterThan(5000);
      } finally {
        await db.deleteFrom('calls').where('id', 'in', live.map((r) => r.id)).execute();
      }
    });

    it('refuses an unknown metrics source', async () => {
      expectProblem(await get('/api/metrics?source=guess'), 400, 'bad_request');
    });

    it('answers null rates, not NaN, for a period without calls', async () => {
      const res = await get<MetricsReport>(`/api/metrics?${qs({ from: '2020-01-01', to: '2020-01-02' })}`);
      expect(res.body.metrics).toEqual(jasmine.objectContaining({ offered: 0, answerRate: null, serviceLevel: null, averageHandleTimeSeconds: null }));
    });

    it('lists every agent with state and time in state', async () => {
      const agent = DEMO_USERS.find((u) => u.role === 'agent');
      const user = await app.users.findByUsername(agent?.username ?? '');
      const since = new Date(Date.now() - 90_000).toISOString();
      await db
        .insertInto('agent_presence')
        .values({ agent_id: user?.id ?? '', display_name: user?.display_name ?? '', state: 'away', since, connected: 1, call_id: null, idle_since: since, wrap_up_ends_at: null })
        .execute();
      const res = await get<AgentBoardEntry[]>('/api/agents');
      expect(res.body.length).toBe(6);
      const away = res.body.find((a) => a.agentId === user?.id);
      expect(away).toEqual(jasmine.objectContaining({ state: 'away', since, connected: true }));
      expect(away?.secondsInState).toBeGreaterThanOrEqual(90);
      expect(res.body.filter((a) => a.agentId !== user?.id).every((a) => a.state === 'offline' && a.since === null && a.secondsInState === null)).toBeTrue();
    });

    it('lists open callback requests and marks one done, once', async () => {
      const student = rows[0];
      for (const [i, note] of ['Call me back, please', '=1+1'].entries()) {
        const request = { id: `00000000-0000-4000-8000-00000000000${i}`, call_id: null, student_id: student.caller_id, name: student.caller_name, note };
        await db.insertInto('callback_requests').values({ ...request, created_at: `2026-11-22T10:0${i}:00.000Z`, done_at: null, done_by: null }).execute();
      }
      const open = await db.selectFrom('callback_requests').select('id').where('done_at', 'is', null).orderBy('created_at').execute();
      const list = await get<Page<CallbackRequest>>('/api/callbacks');
      expect(list.body.total).toBe(open.length);
      expect(list.body.items.map((c) => c.id)).toEqual(open.slice(0, 50).map((c) => c.id));
      const done = await call<CallbackRequest>(app.url, 'POST', `/api/callbacks/${open[0].id}/done`, { token });
      expect(done.status).toBe(200);
      expect(done.body).toEqual(jasmine.objectContaining({ id: open[0].id, doneByName: 'Morgan Supervisor', doneAt: jasmine.any(String) }));
      const again = await call<CallbackRequest>(app.url, 'POST', `/api/callbacks/${open[0].id}/done`, { token });
      expect(again.body.doneAt).toBe(done.body.doneAt);
      expect((await get<Page<CallbackRequest>>('/api/callbacks')).body.total).toBe(open.length - 1);
      expect((await get<Page<CallbackRequest>>('/api/callbacks?status=done&pageSize=1')).body.items[0].id).toBeDefined();
      expectProblem(await call(app.url, 'POST', '/api/callbacks/nope/done', { token }), 404, 'not_found');
    });

    it('answers 401 without a token and 403 to agents and students', async () => {
      const agentToken = (await signIn(app.url, 'agent')).accessToken;
      const studentToken = (await signIn(app.url, 'student')).accessToken;
      const paths = ['/api/calls', `/api/calls/${rows[0].id}`, '/api/calls/export.csv', '/api/metrics', '/api/agents', '/api/callbacks'];
      for (const path of paths) {
        expectProblem(await call(app.url, 'GET', path), 401, 'unauthorized');
        expectProblem(await get(path, agentToken), 403, 'forbidden');
        expectProblem(await get(path, studentToken), 403, 'forbidden');
      }
      expectProblem(await call(app.url, 'POST', '/api/callbacks/x/done', { token: agentToken }), 403, 'forbidden');
    });

    it('answers a 400 problem naming the bad query parameter', async () => {
      const cases: [string, string][] = [
        ['/api/calls?sort=password', 'sort'],
        ['/api/calls?pageSize=1000', 'pageSize'],
        ['/api/calls?outcome=lost', 'outcome'],
        ['/api/calls?from=yesterday', 'from'],
        ['/api/calls?from=2026-11-02&to=2026-11-01', 'to'],
        ['/api/calls?limit=5', ''],
        ['/api/calls/export.csv?page=2', ''],
        ['/api/metrics?serviceLevelSeconds=0', 'serviceLevelSeconds'],
        ['/api/metrics?timeZone=Mars/Base', 'timeZone'],
        ['/api/callbacks?status=maybe', 'status'],
      ];
      for (const [path, field] of cases) {
        const problem = expectProblem(await get(path), 400, 'bad_request');
        expect(problem.errors?.some((e) => e.path.split('.')[0] === field)).withContext(`${path}: ${problem.detail}`).toBeTrue();
      }
    });
  });
}
