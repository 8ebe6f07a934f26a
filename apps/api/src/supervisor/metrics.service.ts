import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { METRIC_DEFINITIONS, MetricsAccumulator, type MetricsQuery, type MetricsReport, type Period } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { ReadPool } from '../database/read-pool';
import type { Database } from '../database/schema';
import { callFilters, seconds } from './call-queries';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/** Rows read per query while computing figures. */
const BATCH_SIZE = 5000;
/** Calls accumulated between two turns of the event loop. */
const YIELD_EVERY = 500;
/** Length of the default period (the last 24 hours). */
const DEFAULT_PERIOD_MS = 24 * 3600 * 1000;

/** The period a metrics query asks for: `to` defaults to now, `from` to 24 hours before `to`. */
export function resolvePeriod(query: Pick<MetricsQuery, 'from' | 'to'>, now: Date): Period {
  const to = query.to ?? now.toISOString();
  return { from: query.from ?? new Date(Date.parse(to) - DEFAULT_PERIOD_MS).toISOString(), to };
}

/**
 * Computes the supervisor figures from the stored records with the pure
 * {@link MetricsAccumulator}, reading the period's calls in keyset batches (constant memory),
 * the `missed` events of those calls, and the calls waiting right now. The reads run in the
 * {@link ReadPool} (off the main thread on SQLite), so a long period never holds up a call.
 */
@Injectable()
export class MetricsService {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @InjectConfig() private readonly config: AppConfig,
    private readonly reads: ReadPool,
  ) {}

  /** Every figure, its definition, and the period and thresholds used. */
  async report(query: MetricsQuery, now = new Date()): Promise<MetricsReport> {
    const period = resolvePeriod(query, now);
    const thresholds = {
      serviceLevelSeconds: query.serviceLevelSeconds,
      shortAbandonSeconds: query.shortAbandonSeconds ?? this.config.calls.shortAbandonSeconds,
      timeZone: query.timeZone,
    };
    const acc = new MetricsAccumulator(thresholds);
    let last: { queued_at: string; id: string } | undefined;
    do {
      const cursor = last;
      const batch = await this.reads.all(
        this.db
          .selectFrom('calls')
          .select(['id', 'state', 'outcome', 'queued_at', 'connected_at', 'queue_ms', 'talk_ms', 'wrap_up_ms'])
          .where((eb) => callFilters(eb, period))
          .where('direction', '=', 'inbound')
          .where((eb) => (cursor ? eb(eb.refTuple('queued_at', 'id'), '>', eb.tuple(cursor.queued_at, cursor.id)) : eb.and([])))
          .orderBy('queued_at')
          .orderBy('id')
          .limit(BATCH_SIZE),
      );
      for (const [i, r] of batch.entries()) {
        // Let the call path in between slices of the figures' arithmetic.
        if (i > 0 && i % YIELD_EVERY === 0) await new Promise(setImmediate);
        acc.addCall({ state: r.state, outcome: r.outcome, queuedAt: r.queued_at, connectedAt: r.connected_at, queueSeconds: seconds(r.queue_ms), talkSeconds: seconds(r.talk_ms), wrapUpSeconds: seconds(r.wrap_up_ms) });
      }
      last = batch.length === BATCH_SIZE ? batch[batch.length - 1] : undefined;
    } while (last);
    const missed = await this.reads.all(
      this.db
        .selectFrom('call_events')
        .innerJoin('calls', 'calls.id', 'call_events.call_id')
        .select(['call_events.type', 'call_events.actor_id', 'call_events.actor_name'])
        .where('call_events.type', '=', 'missed')
        .where((eb) => callFilters(eb, period)),
    );
    missed.forEach((e) => acc.addEvent({ type: e.type, actorId: e.actor_id, actorName: e.actor_name }));
    const live = await this.reads.all(
      this.db.selectFrom('calls').select(['state', 'queued_at']).where('state', 'in', ['queued', 'ringing']).where('direction', '=', 'inbound'),
    );
    return {
      period,
      thresholds,
      metrics: acc.result(
        live.map((c) => ({ state: c.state, queuedAt: c.queued_at })),
        now,
      ),
      definitions: METRIC_DEFINITIONS,
      generatedAt: now.toISOString(),
    };
  }
}
