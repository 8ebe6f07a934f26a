import { Injectable } from '@nestjs/common';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { METRIC_DEFINITIONS, MetricsAccumulator, type CallState, type MetricThresholds, type MetricsCall, type MetricsQuery, type MetricsReport, type Period } from '@switchboard/call-domain';
import { ROLLUP_DAY_MS, dayOf } from '../calls/ledger/call-rollups';
import { InjectDatabase } from '../database/database.module';
import { ReadPool } from '../database/read-pool';
import type { CallRow, Database } from '../database/schema';
import { callFilters, seconds } from './call-queries';
import { MISSED_BY_ID_MAX, addMissedOffers, missedOffersIn, missedOffersOf, type MissedOffer } from './missed-offers';
import { LocalHours, localHourOf, planPeriod, type MsRange, type RolledRange } from './metrics-plan';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/** Rows read per query while computing figures. */
const BATCH_SIZE = 5000;
/** Calls added to the figures between two turns of the event loop. */
const YIELD_EVERY = 500;
/** Length of the default period (the last 24 hours). */
const DEFAULT_PERIOD_MS = 24 * 3600 * 1000;
/** States of a call not yet ended: not in the roll-ups, read raw. */
const LIVE_STATES: readonly CallState[] = ['queued', 'ringing', 'accepted', 'connected'];

/** The period a metrics query asks for: `to` defaults to now, `from` to 24 hours before `to`. */
export function resolvePeriod(query: Pick<MetricsQuery, 'from' | 'to'>, now: Date): Period {
  const to = query.to ?? now.toISOString();
  return { from: query.from ?? new Date(Date.parse(to) - DEFAULT_PERIOD_MS).toISOString(), to };
}

/** A stored call as the accumulator reads it. */
function toMetricsCall(r: Pick<CallRow, 'state' | 'outcome' | 'queued_at' | 'connected_at' | 'queue_ms' | 'talk_ms' | 'wrap_up_ms'>): MetricsCall {
  return { state: r.state, outcome: r.outcome, queuedAt: r.queued_at, connectedAt: r.connected_at, queueSeconds: seconds(r.queue_ms), talkSeconds: seconds(r.talk_ms), wrapUpSeconds: seconds(r.wrap_up_ms) };
}

function isoRange(range: MsRange): Period {
  return { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() };
}

/**
 * Computes the supervisor figures with the pure {@link MetricsAccumulator}, from one of two
 * sources that give the same figures:
 * - `rollups` (default): the whole quarter hours of the period from the roll-ups the ledger
 *   keeps (`call-rollups.ts`): counts and sums per quarter hour and outcome, missed offers
 *   per quarter hour and agent, and, for the service level and short abandons, a histogram of
 *   queue seconds per UTC day (the parts of the period shorter than a day count their calls on
 *   the `calls_queued_at_outcome_idx` index instead). Calls not yet ended and the edges
 *   of the period shorter than a quarter hour are read raw.
 * - `raw`: every call of the period in keyset batches (constant memory) and the `missed`
 *   events of those calls: the recomputation audits compare the roll-ups with.
 * Outbound calls (callbacks) never waited in the queue: they are left out of every figure
 * (and of the roll-ups). The reads that may be long run in the {@link ReadPool} (off the main
 * thread on SQLite), so a long period never holds up a call.
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
    const source = query.source ?? 'rollups';
    const acc = new MetricsAccumulator(thresholds);
    const live = await this.reads.all(
      this.db
        .selectFrom('calls')
        .select(['id', 'state', 'outcome', 'queued_at', 'connected_at', 'queue_ms', 'talk_ms', 'wrap_up_ms'])
        .where('outcome', 'is', null)
        .where('state', 'in', LIVE_STATES)
        .where('direction', '=', 'inbound'),
    );
    if (source === 'raw') {
      await this.addRaw(acc, period);
    } else {
      const plan = planPeriod(await this.fromFirstStored(period), new LocalHours(thresholds.timeZone));
      for (const range of plan.raw) await this.addRaw(acc, isoRange(range));
      // Two pieces read at a time: one per read worker on SQLite; on PostgreSQL two of the
      // pool's connections, the rest left to the calls.
      const pieces = inPieces(plan.rolled);
      const sums: RolledSums[] = [];
      const lane = async (first: number) => {
        for (let i = first; i < pieces.length; i += READ_LANES) sums[i] = await this.readRolled(pieces[i], thresholds);
      };
      await Promise.all(Array.from({ length: READ_LANES }, (_, i) => lane(i)));
      pieces.forEach((piece, i) => addRolled(acc, piece, sums[i]));
      // Calls of the rolled ranges not yet ended (the roll-ups hold ended calls only).
      const unended = live.filter((c) => plan.rolled.some((r) => Date.parse(c.queued_at) >= r.from && Date.parse(c.queued_at) < r.to));
      for (const r of unended) {
        acc.addCall(toMetricsCall(r));
      }
      addMissedOffers(acc, await this.missedOffersOf(unended.map((c) => c.id)));
    }
    const retained = await this.db
      .selectFrom('retention_runs')
      .select((eb) => eb.fn.max('cutoff').as('cutoff'))
      .where('calls_deleted', '>', 0)
      .executeTakeFirst();
    return {
      period,
      thresholds,
      metrics: acc.result(
        live.map((c) => ({ state: c.state, queuedAt: c.queued_at })),
        now,
      ),
      definitions: METRIC_DEFINITIONS,
      generatedAt: now.toISOString(),
      source,
      aggregatedBefore: retained?.cutoff ?? null,
    };
  }

  /**
   * Adds every call queued in `period` and its missed offers, read from the records: those of
   * the calls read, by their ids, or for a period of more than {@link MISSED_BY_ID_MAX} calls
   * those of every call of the period, in one join. Outbound calls have none (their agent
   * placed them: nothing rang for an agent), so both count the same offers.
   */
  private async addRaw(acc: MetricsAccumulator, period: Period): Promise<void> {
    let last: { queued_at: string; id: string } | undefined;
    let ids: string[] | undefined = [];
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
        acc.addCall(toMetricsCall(r));
      }
      if (ids && ids.length + batch.length > MISSED_BY_ID_MAX) ids = undefined;
      ids?.push(...batch.map((r) => r.id));
      last = batch.length === BATCH_SIZE ? batch[batch.length - 1] : undefined;
    } while (last);
    addMissedOffers(acc, ids ? await this.missedOffersOf(ids) : await this.reads.all(missedOffersIn(this.db, period)));
  }

  /** The missed offers of the calls `ids` ({@link missedOffersOf}, by id on their index). */
  private async missedOffersOf(ids: readonly string[]): Promise<MissedOffer[]> {
    const missed: MissedOffer[] = [];
    for (const read of missedOffersOf(this.db, this.config.database.dialect, ids, BATCH_SIZE)) missed.push(...(await this.reads.all(read)));
    return missed;
  }

  /**
   * `period` from the UTC midnight before the first call stored or rolled up (nothing is
   * earlier, so the figures are the same), if that is later: planning a period goes day by day
   * on the event loop, and a period from year 1 is 740 000 days.
   */
  private async fromFirstStored(period: Period): Promise<Period> {
    const [[call], [rolled]] = await Promise.all([
      this.reads.all(this.db.selectFrom('calls').select((eb) => eb.fn.min('queued_at').as('first'))),
      this.reads.all(this.db.selectFrom('call_rollups').select((eb) => eb.fn.min('bucket_start').as('first'))),
    ]);
    const firsts = [call?.first, rolled?.first].filter((first): first is string => typeof first === 'string').map((first) => Date.parse(first));
    if (firsts.length === 0) return { ...period, from: period.to };
    const day = Math.floor(Math.min(...firsts) / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
    return day > Date.parse(period.from) ? { ...period, from: new Date(Math.min(day, Date.parse(period.to))).toISOString() } : period;
  }

  /**
   * The roll-ups of the ended calls queued in `piece`'s ranges, summed in the database by
   * offset from UTC and quarter hour of the UTC day (at most 96 × 5 rows per offset however
   * long the piece: a year is not 35 000 rows to add up on the event loop), with their
   * service level and short abandons and their missed offers; read in the pool. One query per
   * kind of roll-up whatever the number of changes of summer time in the piece: a range's
   * offset only decides the local hour its quarters count in, so the quarters are grouped by
   * offset (a CASE on the ranges' bounds) and the other figures are read over the piece's
   * stretches of time at once.
   */
  private async readRolled(piece: RolledPiece, thresholds: MetricThresholds): Promise<RolledSums> {
    const stretches = stretchesOf(piece);
    // `bucket_start` is an ISO instant in UTC: characters 12–16 are its time of day ("HH:MM").
    const quarter = sql<string>`substr(bucket_start, 12, 5)`;
    const part = offsetPartOf(piece, stretches);
    const { from, to } = isoRange(piece);
    const quarters = await this.reads.all(
      this.db
        .selectFrom('call_rollups')
        .select([
          (part ?? sql.lit(0)).as('part'),
          quarter.as('quarter'),
          'outcome',
          (eb) => eb.fn.sum<number | string>('calls').as('calls'),
          (eb) => eb.fn.sum<number | string>('queue_ms').as('queue_ms'),
          (eb) => eb.fn.sum<number | string>('handled').as('handled'),
          (eb) => eb.fn.sum<number | string>('handle_ms').as('handle_ms'),
        ])
        .where('bucket_start', '>=', from)
        .where('bucket_start', '<', to)
        // By the columns' places: the CASE's bounds are parameters, other ones in the SELECT.
        .groupBy(part ? [sql`1`, sql`2`, sql`3`] : [quarter, 'outcome']),
    );
    const withinThresholds = await this.countWithinThresholds(stretches, thresholds);
    const missed = await this.reads.all(
      this.db
        .selectFrom('call_missed_rollups')
        .select(['agent_id', (eb) => eb.fn.min('agent_name').as('agent_name'), (eb) => eb.fn.sum<number | string>('missed').as('missed')])
        .where((eb) => eb.or(stretches.map(isoRange).map(({ from, to }) => eb.and([eb('bucket_start', '>=', from), eb('bucket_start', '<', to)]))))
        .groupBy('agent_id'),
    );
    return { quarters, ...withinThresholds, missed };
  }

  /**
   * Ended calls queued in `stretches` answered within the service-level threshold, and
   * abandoned within the short-abandon window: whole UTC days from the queue-seconds histogram
   * (one query), the parts of days at the stretches' ends counted on the covering index.
   */
  private async countWithinThresholds(stretches: readonly MsRange[], thresholds: MetricThresholds): Promise<{ within: number; short: number }> {
    const days: MsRange[] = [];
    const partial: MsRange[] = [];
    for (const stretch of stretches) {
      const firstDay = Math.ceil(stretch.from / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
      const lastDay = Math.floor(stretch.to / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
      if (firstDay < lastDay) {
        days.push({ from: firstDay, to: lastDay });
        partial.push({ from: stretch.from, to: firstDay }, { from: lastDay, to: stretch.to });
      } else partial.push(stretch);
    }
    let within = 0;
    let short = 0;
    if (days.length) {
      const [rows] = await this.reads.all(
        this.db
          .selectFrom('call_wait_rollups')
          .select([
            sql<number | string>`sum(case when outcome = 'answered' and wait_s <= ${thresholds.serviceLevelSeconds} then calls else 0 end)`.as('within'),
            sql<number | string>`sum(case when outcome <> 'answered' and wait_s <= ${thresholds.shortAbandonSeconds} then calls else 0 end)`.as('short'),
          ])
          .where((eb) => eb.or(days.map((d) => eb.and([eb('day', '>=', dayOf(d.from)), eb('day', '<', dayOf(d.to))]))))
          // The rows counted, also as a filter: PostgreSQL then adds up a quarter of the rows.
          .where((eb) =>
            eb.or([
              eb.and([eb('outcome', '=', 'answered'), eb('wait_s', '<=', thresholds.serviceLevelSeconds)]),
              eb.and([eb('outcome', '<>', 'answered'), eb('wait_s', '<=', thresholds.shortAbandonSeconds)]),
            ]),
          ),
      );
      within += Number(rows?.within ?? 0);
      short += Number(rows?.short ?? 0);
    }
    for (const part of partial.filter((p) => p.from < p.to)) {
      const { from, to } = isoRange(part);
      const [row] = await this.reads.all(
        this.db
          .selectFrom('calls')
          .select([
            sql<number | string>`sum(case when outcome = 'answered' and coalesce(queue_ms, 0) <= ${thresholds.serviceLevelSeconds * 1000} then 1 else 0 end)`.as('within'),
            sql<number | string>`sum(case when outcome in ('abandoned', 'short_abandon') and coalesce(queue_ms, 0) <= ${thresholds.shortAbandonSeconds * 1000} then 1 else 0 end)`.as('short'),
          ])
          // Only ended calls have these outcomes: no other condition, so both databases read the
          // range of queue times on `calls_queued_at_outcome_idx` (migration 0028).
          .where('queued_at', '>=', from)
          .where('queued_at', '<', to)
          .where('direction', '=', 'inbound'),
      );
      within += Number(row?.within ?? 0);
      short += Number(row?.short ?? 0);
    }
    return { within, short };
  }
}

/** Rolled ranges read together: at most {@link ROLLED_PIECE_MS} long, cut at UTC midnights. */
interface RolledPiece extends MsRange {
  /** Its ranges in time order, each of one offset; raw parts may lie between two. */
  ranges: RolledRange[];
}

/** What {@link MetricsService} reads of one rolled piece. */
interface RolledSums {
  /**
   * Sums by offset (`part`: an index into {@link offsetsOf} the piece; null for quarters
   * between its ranges, read raw), quarter hour of the UTC day ("HH:MM") and outcome.
   */
  quarters: { part: number | null; quarter: string; outcome: string; calls: number | string; queue_ms: number | string; handled: number | string; handle_ms: number | string }[];
  within: number;
  short: number;
  missed: { agent_id: string; agent_name: string; missed: number | string }[];
}

/** How many rolled pieces a metrics request reads at a time. */
const READ_LANES = 2;

/** Rolled ranges are read in pieces of at most this (cut at UTC midnights), {@link READ_LANES} at a time. */
const ROLLED_PIECE_MS = 366 * ROLLUP_DAY_MS;

/**
 * `ranges` (in time order) in pieces of at most {@link ROLLED_PIECE_MS}, cut at UTC midnights:
 * a year of a zone with summer time is one piece of three ranges, not three reads.
 */
function inPieces(ranges: readonly RolledRange[]): RolledPiece[] {
  const pieces: RolledPiece[] = [];
  let piece: RolledPiece | undefined;
  let cut = 0;
  for (const range of ranges) {
    for (let from = range.from; from < range.to; ) {
      if (!piece || from >= cut) {
        piece = { from, to: from, ranges: [] };
        pieces.push(piece);
        cut = Math.floor((from + ROLLED_PIECE_MS) / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
      }
      const to = Math.min(range.to, cut);
      piece.ranges.push({ ...range, from, to });
      piece.to = to;
      from = to;
    }
  }
  return pieces;
}

/** The piece's time read from the roll-ups, its ranges that touch merged: usually the whole piece. */
function stretchesOf(piece: RolledPiece): MsRange[] {
  const stretches: MsRange[] = [];
  for (const { from, to } of piece.ranges) {
    const tail = stretches[stretches.length - 1];
    if (tail?.to === from) tail.to = to;
    else stretches.push({ from, to });
  }
  return stretches;
}

/** The piece's offsets from UTC, each once, in order of first appearance. */
function offsetsOf(piece: RolledPiece): number[] {
  return [...new Set(piece.ranges.map((r) => r.offset))];
}

/**
 * Which of {@link offsetsOf} a roll-up row of the piece is in, as SQL: a CASE on the ranges'
 * bounds (parameters; the query groups by its columns' places), null between two ranges;
 * undefined when the piece is one offset without gaps (its {@link stretchesOf} one: every row is part 0).
 */
function offsetPartOf(piece: RolledPiece, stretches: readonly MsRange[]): RawBuilder<number | null> | undefined {
  const offsets = offsetsOf(piece);
  if (offsets.length === 1 && stretches.length === 1) return undefined;
  // Parameters, not literals: the text depends only on the piece's shape (how many ranges and
  // gaps), so PostgreSQL's named statements and SQLite's statement caches are not filled with
  // one text per period asked for.
  const bound = (ms: number) => sql`${new Date(ms).toISOString()}`;
  const whens = piece.ranges.flatMap((range, i) => [
    ...(i > 0 && piece.ranges[i - 1].to < range.from ? [sql`when bucket_start < ${bound(range.from)} then null`] : []),
    sql`when bucket_start < ${bound(range.to)} then ${sql.lit(offsets.indexOf(range.offset))}`,
  ]);
  return sql<number | null>`case ${sql.join(whens, sql` `)} end`;
}

/** Adds one rolled piece's sums: each quarter's calls in its local hour, the totals, the missed offers. */
function addRolled(acc: MetricsAccumulator, piece: RolledPiece, sums: RolledSums): void {
  const offsets = offsetsOf(piece);
  let queueMs = 0;
  let handled = 0;
  let handleMs = 0;
  for (const r of sums.quarters) {
    if (r.part === null) continue;
    const calls = Number(r.calls);
    const hour = localHourOf(Date.parse(`1970-01-01T${r.quarter}:00.000Z`), offsets[Number(r.part)]);
    const answered = r.outcome === 'answered' ? calls : 0;
    const abandoned = r.outcome === 'abandoned' || r.outcome === 'short_abandon' ? calls : 0;
    acc.addHour(hour, { offered: calls, answered, abandoned });
    if (answered) {
      queueMs += Number(r.queue_ms);
      handled += Number(r.handled);
      handleMs += Number(r.handle_ms);
    }
  }
  acc.addTotals({ shortAbandoned: sums.short, answeredWithinThreshold: sums.within, queueSecondsOfAnswered: queueMs / 1000, handled, handleSeconds: handleMs / 1000 });
  for (const m of sums.missed) acc.addMissed(m.agent_id, m.agent_name, Number(m.missed));
}
