import type { Kysely } from 'kysely';
import { buildPartialIndex, type PartialIndex } from './partial-indexes';

/**
 * Indexes the missed offers (`call_events` of type `missed`: one per agent a call rang for
 * without being taken) by call, with the agent they count for, on both databases: the
 * supervisor metrics (raw periods and their edges, `metrics.service.ts`) and the agent's desk
 * figures (`desk-queries.service.ts`) count them for a period's calls (`missed-offers.ts`).
 *
 * Without it PostgreSQL found them by reading all of `call_events` (six entries a call) and
 * hashing them with the period's calls: at a million calls without planner statistics, 0.9–1.1 s
 * for a day's raw metrics and 1.6–2.1 s for a day from the roll-ups (two raw edges), p50 on a
 * loaded machine. The metrics now read a period's missed offers by call id on it (14–42 ms for
 * those), a long period's in one join with it (the whole history's join 3.5 s instead of 7.9).
 * The index holds 6 % of the entries (**partial, `where type = 'missed'`**: 6 MB at a million
 * calls, where `(call_id, seq)` takes 362 MB; a call's other entries write nothing to it) and
 * answers the reads from its entries (`actor_id`, `actor_name` in the key). The reads write
 * `'missed'` as a literal: PostgreSQL's generic plan of a prepared statement knows no
 * parameter's value, so it could not prove the predicate from one.
 *
 * The build reads the whole table in the migration's transaction (writes to `call_events`
 * wait for it; 2 s at a million calls on PostgreSQL). There an operator can build it
 * beforehand without stopping writes, `create index concurrently if not exists
 * call_events_missed_idx on call_events (call_id, actor_id, actor_name) where type =
 * 'missed'`; the migration takes it only if it is valid and exactly that index, and otherwise
 * fails, changing nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await buildPartialIndex(db, MISSED_OFFER_INDEX);
}

/** Drops the index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex(MISSED_OFFER_INDEX.name).execute();
}

/** The missed offers' index. */
export const MISSED_OFFER_INDEX: PartialIndex = {
  name: 'call_events_missed_idx',
  table: 'call_events',
  columns: ['call_id', 'actor_id', 'actor_name'],
  where: "type = 'missed'",
  printed: "(type = 'missed'::text)",
};
