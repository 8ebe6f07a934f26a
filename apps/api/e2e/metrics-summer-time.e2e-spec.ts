import type { Kysely } from 'kysely';
import { ROLLUP_DAY_MS, dayOf, rebuildRollups } from '../src/calls/ledger/call-rollups';
import { DATABASE } from '../src/database/database.module';
import type { CallEventsTable, CallRow, Database } from '../src/database/schema';
import { LocalHours } from '../src/supervisor/metrics-plan';
import { seedMonth } from '../src/supervisor/seeding/month-seeder';
import type { SqlDialect } from '../src/config/config';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_USERS, signIn } from './support';
import { allCalls, expectRollupsEqualRaw } from './supervisor-support';

const HOUR_MS = 3_600_000;
const HISTORY = { from: '2025-01-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
/** Zones whose offset changes twice a year, at different instants (01:00 UTC in Berlin, 06:00/07:00 in New York, 04:30/05:30 in St John's). */
const ZONES = ['Europe/Berlin', 'America/New_York', 'America/St_Johns'];
/**
 * St John's changed its clocks at 00:01 local time until 2011: a quarter hour holding a change
 * is read raw between two rolled ranges of one piece (the CASE's gap between ranges).
 */
const ODD_CHANGES = { zone: 'America/St_Johns', from: '2009-01-01T00:00:00.000Z', to: '2010-01-01T00:00:00.000Z' };
/** Where the calls placed around each change fall, in minutes from it. */
const AROUND_MINUTES = [-95, -61, -46, -31, -14, -1, 0, 1, 13, 29, 44, 59, 61, 89];
/** Queue times that sit on either side of the thresholds asked for (20 s and 7 s; 5 s and 0 s). */
const QUEUE_MS = [0, 4_000, 5_000, 6_999, 7_000, 19_999, 20_000, 20_001, 45_000];

/** Every instant in `period` at which `zone`'s offset from UTC changes (looked up hour by hour). */
function changesOf(zone: string, period: { from: string; to: string }): number[] {
  const hours = new LocalHours(zone);
  const changes: number[] = [];
  for (let hour = Date.parse(period.from); hour < Date.parse(period.to); hour += HOUR_MS) {
    if (hours.offsetAt(hour) === hours.offsetAt(hour + HOUR_MS)) continue;
    let [before, after] = [hour, hour + HOUR_MS];
    while (after - before > 1000) {
      const middle = Math.floor((before + after) / 2000) * 1000;
      if (hours.offsetAt(middle) === hours.offsetAt(hour)) before = middle;
      else after = middle;
    }
    changes.push(after);
  }
  return changes;
}

/** Shifts an ISO instant (or null) by `ms`. */
const shifted = (iso: string | null, ms: number) => (iso === null ? null : new Date(Date.parse(iso) + ms).toISOString());

for (const dialect of ['sqlite', 'postgres'] as SqlDialect[]) {
  describe(`Metrics across changes of summer time (e2e) [${dialect}]`, () => {
    let app: TestApp;
    let pg: TestPostgresDatabase | undefined;
    let db: Kysely<Database>;
    let token: string;
    let changes: number[];

    beforeAll(async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      app = await startTestApp(pg ? { DATABASE_URL: pg.url } : {});
      await app.seed(DEMO_USERS);
      db = app.app.get<Kysely<Database>>(DATABASE);
      changes = [...ZONES.flatMap((zone) => changesOf(zone, HISTORY)), ...changesOf(ODD_CHANGES.zone, ODD_CHANGES)].sort((a, b) => a - b);
      // A few days of calls (office hours) around each change, then calls in the night hours around each change itself.
      const days = [...new Set(changes.map((at) => Math.floor(at / ROLLUP_DAY_MS) * ROLLUP_DAY_MS + 2 * ROLLUP_DAY_MS))];
      for (const [i, end] of days.entries()) await seedMonth(db, { seed: 20 + i, days: 2, callsPerDay: 30, end: new Date(end), dispositions: ['Resolved'] });
      const seeded = (await allCalls(db)).filter((r) => r.state === 'ended' && r.direction === 'inbound');
      const templates = ['answered', 'abandoned', 'short_abandon', 'failed', 'answered', 'abandoned'].map((outcome) => seeded.find((r) => r.outcome === outcome) as CallRow);
      const agent = seeded.find((r) => r.agent_id !== null) as CallRow;
      const placed: CallRow[] = [];
      const missed: CallEventsTable[] = [];
      for (const [c, change] of changes.entries()) {
        for (const [i, minutes] of AROUND_MINUTES.entries()) {
          const template = templates[(c + i) % templates.length];
          const queuedAt = change + minutes * 60_000 + ((c * 7 + i * 13) % 60) * 1000;
          const shift = queuedAt - Date.parse(template.queued_at);
          const id = `00000000-0000-4000-8000-${String(c * 100 + i).padStart(12, '0')}`;
          placed.push({
            ...template,
            id,
            queued_at: new Date(queuedAt).toISOString(),
            answered_at: shifted(template.answered_at, shift),
            connected_at: shifted(template.connected_at, shift),
            ended_at: shifted(template.ended_at, shift),
            queue_ms: QUEUE_MS[(c + 2 * i) % QUEUE_MS.length],
          });
          if (i % 3 === 0) missed.push({ id: `00000000-0000-4000-9000-${String(c * 100 + i).padStart(12, '0')}`, call_id: id, seq: 900, at: new Date(queuedAt + 20_000).toISOString(), type: 'missed', actor_id: agent.agent_id, actor_name: agent.agent_name, detail: null });
        }
      }
      await db.insertInto('calls').values(placed).execute();
      await db.insertInto('call_events').values(missed).execute();
      // Written directly: their roll-ups recomputed from the records, as seed:month does.
      for (const change of changes) {
        const from = dayOf(change - 2 * HOUR_MS);
        const to = dayOf(change + 2 * HOUR_MS + ROLLUP_DAY_MS);
        await db.transaction().execute((trx) => rebuildRollups(trx, from, to));
      }
      token = (await signIn(app.url, 'supervisor')).accessToken;
    });
    afterAll(async () => {
      await app.close();
      await pg?.drop();
    });

    it('placed calls in the hours around four changes a zone, two years running, and St John\'s two at 00:01 in 2009', () => {
      expect(changes.length).toBe(ZONES.length * 4 + 2);
      expect(changesOf(ODD_CHANGES.zone, ODD_CHANGES).every((at) => (at / 60_000) % 15 !== 0)).withContext('changes inside a quarter hour').toBeTrue();
    });

    it('answers the same figures from the roll-ups as recomputed from the raw records, over periods holding several changes', async () => {
      const [firstBerlin, secondBerlin] = changesOf('Europe/Berlin', HISTORY);
      const periods = [
        HISTORY,
        // Edges at odd instants inside days of a change: raw parts of days at both ends.
        { from: new Date(firstBerlin - 13 * 60_000 - 7_250).toISOString(), to: new Date(secondBerlin + 44 * 60_000 + 1).toISOString() },
        // Longer than a year: read in two pieces, the cut inside a range of one offset.
        { from: '2025-02-01T09:00:00.000Z', to: '2026-04-15T00:00:00.000Z' },
        // Across one change only, a few hours.
        { from: new Date(firstBerlin - 90 * 60_000).toISOString(), to: new Date(firstBerlin + 2 * HOUR_MS).toISOString() },
        // A year whose changes fall inside quarter hours (in St John's: raw quarters between its ranges).
        { from: ODD_CHANGES.from, to: ODD_CHANGES.to },
      ];
      let compared = 0;
      for (const [i, period] of periods.entries()) {
        for (const [j, timeZone] of [...ZONES, 'UTC', 'Asia/Kathmandu'].entries()) {
          const params = { ...period, timeZone, serviceLevelSeconds: [20, 7][(i + j) % 2], shortAbandonSeconds: [5, 0][(i + 2 * j) % 2] };
          const raw = await expectRollupsEqualRaw(app.url, token, params);
          compared += raw.metrics.offered;
          // The night calls around the changes count in the local hours about them, which a wrong offset would move.
          if (i === 0 && j < ZONES.length) expect(raw.metrics.callsByHour.slice(0, 5).some((h) => h.offered > 0)).withContext(JSON.stringify(params)).toBeTrue();
        }
      }
      expect(compared).toBeGreaterThan(2000);
    });
  });
}
