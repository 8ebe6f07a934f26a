import type { Compilable } from 'kysely';
import { MetricsAccumulator } from '@switchboard/call-domain';
import type { AppConfig } from '../config/config';
import { ReadPool } from '../database/read-pool';
import { describeEachDialect, queryPlan } from '../testing/each-dialect';
import { callFilters } from './call-queries';
import { MetricsService } from './metrics.service';
import { agentMissedOffers, missedOffersIn, missedOffersOf, type MissedOffer } from './missed-offers';
import { seedMonth } from './seeding/month-seeder';

describeEachDialect('The missed offers’ reads (their index, migration 0026)', (database) => {
  const period = { from: '2026-11-10T00:00:00.000Z', to: '2026-11-17T07:30:00.000Z' };
  let ids: string[];
  let offers: MissedOffer[];

  beforeAll(async () => {
    const { db } = database();
    await seedMonth(db, { seed: 3, days: 21, callsPerDay: 150, end: new Date('2026-11-23T00:00:00.000Z'), dispositions: ['Resolved'] });
    ids = (await db.selectFrom('calls').select('id').where((eb) => callFilters(eb, period)).where('direction', '=', 'inbound').execute()).map((r) => r.id);
    // As the metrics read them before 0026: the period's calls joined with their events, the type a parameter.
    offers = await db
      .selectFrom('call_events')
      .innerJoin('calls', 'calls.id', 'call_events.call_id')
      .select(['call_events.actor_id', 'call_events.actor_name'])
      .where('call_events.type', '=', 'missed')
      .where((eb) => callFilters(eb, period))
      .execute();
  });

  const sorted = (read: readonly MissedOffer[]) => read.map((o) => `${o.actor_id}|${o.actor_name}`).sort();

  it('finds the offers the join with every event found: by id (in chunks on SQLite), in one join, and one agent’s count', async () => {
    const { db, dialect } = database();
    expect(offers.length).toBeGreaterThan(20);
    const byId = (await Promise.all(missedOffersOf(db, dialect, ids, 97).map((read) => read.execute()))).flat();
    expect(sorted(byId)).toEqual(sorted(offers));
    expect(sorted(await missedOffersIn(db, period).execute())).toEqual(sorted(offers));
    expect(missedOffersOf(db, dialect, [], 97)).toEqual([]);
    const agentId = offers[0].actor_id ?? '';
    const { n } = await agentMissedOffers(db, agentId, period).executeTakeFirstOrThrow();
    expect(Number(n)).toBe(offers.filter((o) => o.actor_id === agentId).length);
  });

  it('gives the raw figures’ missed offers as before', async () => {
    const { db, dialect, settings } = database();
    const reads = new ReadPool(db, settings);
    try {
      const config = { database: settings, calls: { shortAbandonSeconds: 5 } } as AppConfig;
      const report = await new MetricsService(db, config, reads).report({ ...period, serviceLevelSeconds: 20, timeZone: 'UTC', source: 'raw' });
      const acc = new MetricsAccumulator({ serviceLevelSeconds: 20, shortAbandonSeconds: 5, timeZone: 'UTC' });
      for (const o of offers) acc.addEvent({ type: 'missed', actorId: o.actor_id, actorName: o.actor_name });
      expect(report.metrics.missedOffers).withContext(dialect).toEqual(acc.result([], new Date()).missedOffers);
    } finally {
      await reads.close();
    }
  });

  it('searches the index by call, in PostgreSQL’s generic plans of prepared statements too', async () => {
    const { db, dialect } = database();
    // PostgreSQL's join order depends on the few rows here: the index is in the plan either way.
    const postgres = /(Index Only Scan using|Bitmap Index Scan on) call_events_missed_idx/;
    const reads: [string, Compilable<unknown>, RegExp][] = [
      ['by id', missedOffersOf(db, dialect, ids, 500)[0], /^SEARCH call_events USING COVERING INDEX call_events_missed_idx \(call_id=\?\)$/],
      ['in one join', missedOffersIn(db, period), /\nSEARCH call_events USING COVERING INDEX call_events_missed_idx \(call_id=\?\)$/],
      ['one agent', agentMissedOffers(db, 'agent-1', period), /\nSEARCH call_events USING COVERING INDEX call_events_missed_idx \(call_id=\? AND actor_id=\?\)$/],
    ];
    // For these values, and as planned without them (PostgreSQL's generic plan of a prepared statement).
    for (const [what, read, sqlite] of reads) {
      for (const generic of [false, true]) {
        expect(await queryPlan(db, dialect, read, { generic }))
          .withContext(`${what}${generic ? ', generic' : ''}`)
          .toMatch(dialect === 'sqlite' ? sqlite : postgres);
      }
    }
  });
});
