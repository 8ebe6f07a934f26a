import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { MetricsAccumulator, Period } from '@switchboard/call-domain';
import type { SqlDialect } from '../config/config';
import type { CallEventsTable, Database } from '../database/schema';
import { callFilters } from './call-queries';

/** A missed offer: the agent a call rang for without being taken. */
export type MissedOffer = Pick<CallEventsTable, 'actor_id' | 'actor_name'>;

/**
 * `type = 'missed'` as a literal, not a parameter: the predicate of the missed offers' partial
 * index (migration 0026, `where type = 'missed'`), which PostgreSQL's generic plan of a
 * prepared statement (it knows no parameter's value) cannot prove from a parameter. SQLite
 * plans a statement again for the values bound, so there either would do.
 */
const MISSED = sql.lit('missed' as const);

/** The calls of a raw period whose missed offers are read by id; a longer period's are read in one join ({@link missedOffersIn}). */
export const MISSED_BY_ID_MAX = 50_000;

/**
 * The reads of the missed offers of the calls `ids`, each a search of their index by call: one
 * on PostgreSQL (`= any($1)`, one array parameter: one statement text whatever the number of
 * calls), one per `chunk` ids on SQLite (`in (…)`, within its limit of parameters); none without ids.
 */
export function missedOffersOf(db: Kysely<Database>, dialect: SqlDialect, ids: readonly string[], chunk: number): SelectQueryBuilder<Database, 'call_events', MissedOffer>[] {
  const missed = db.selectFrom('call_events').select(['actor_id', 'actor_name']).where('type', '=', MISSED);
  if (ids.length === 0) return [];
  if (dialect === 'postgres') return [missed.where('call_id', '=', sql<string>`any(${[...ids]}::text[])`)];
  return Array.from({ length: Math.ceil(ids.length / chunk) }, (_, i) => missed.where('call_id', 'in', ids.slice(i * chunk, (i + 1) * chunk)));
}

/** The read of the missed offers of every call queued in `period`: one join of its calls with their index. */
export function missedOffersIn(db: Kysely<Database>, period: Period): SelectQueryBuilder<Database, 'call_events' | 'calls', MissedOffer> {
  return db
    .selectFrom('call_events')
    .innerJoin('calls', 'calls.id', 'call_events.call_id')
    .select(['call_events.actor_id', 'call_events.actor_name'])
    .where('call_events.type', '=', MISSED)
    .where((eb) => callFilters(eb, period));
}

/** How many offers of the calls queued in `period` rang out on `agentId` (the agent's desk figures): the period's calls joined with their index. */
export function agentMissedOffers(db: Kysely<Database>, agentId: string, period: Period) {
  return db
    .selectFrom('call_events')
    .innerJoin('calls', 'calls.id', 'call_events.call_id')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('call_events.type', '=', MISSED)
    .where('call_events.actor_id', '=', agentId)
    .where('calls.queued_at', '>=', period.from)
    .where('calls.queued_at', '<', period.to);
}

/** Counts `offers` for their agents (one with no agent recorded counts for nobody, as in `addEvent`). */
export function addMissedOffers(acc: MetricsAccumulator, offers: readonly MissedOffer[]): void {
  for (const e of offers) acc.addEvent({ type: 'missed', actorId: e.actor_id, actorName: e.actor_name });
}
