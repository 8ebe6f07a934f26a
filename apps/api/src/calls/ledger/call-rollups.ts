import { sql, type Kysely, type RawBuilder } from 'kysely';
import { type UnreadWrite } from '../../database/prepared-queries';
import type { CallRow, Database } from '../../database/schema';

/** Width of a roll-up bucket: a quarter hour, so every local hour of every time zone (offsets are whole quarter hours) is a union of buckets. */
export const ROLLUP_BUCKET_MS = 15 * 60 * 1000;
/** Width of a queue-time histogram bucket: a UTC day. */
export const ROLLUP_DAY_MS = 24 * 3600 * 1000;
/**
 * Queue times are kept in whole seconds, rounded up, up to the largest service-level threshold
 * a query may ask for (3600 s); anything longer is kept as 3601. "Within X s" is exact for any
 * whole X because queue ≤ X ⇔ ⌈queue⌉ ≤ X.
 */
export const MAX_WAIT_SECONDS = 3600;

/** Outcomes whose queue time some figure compares with a threshold (service level, short abandons). */
const TIMED_OUTCOMES = ['answered', 'abandoned', 'short_abandon'] as const;

/** The start of the quarter hour (UTC) that contains `ms`, as stored. */
export function bucketOf(ms: number): string {
  return new Date(Math.floor(ms / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS).toISOString();
}

/** The start of the UTC day that contains `ms`, as stored. */
export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / ROLLUP_DAY_MS) * ROLLUP_DAY_MS).toISOString();
}

/** A queue time in histogram seconds (see {@link MAX_WAIT_SECONDS}). */
export function waitSecondsOf(queueMs: number | null): number {
  const ms = Number(queueMs ?? 0);
  return ms > MAX_WAIT_SECONDS * 1000 ? MAX_WAIT_SECONDS + 1 : Math.ceil(ms / 1000);
}

/** One `call_rollups` row's change. */
interface CallRollupChange {
  bucket_start: string;
  outcome: string;
  calls: number;
  queue_ms: number;
  handled: number;
  handle_ms: number;
}

/**
 * The roll-up changes of one ledger transaction, summed per row and written by {@link writes}
 * at the transaction's end. The invariant is that the roll-ups are the sum of
 * {@link addCall} over the stored ended calls (calls not yet ended are read raw).
 *
 * Why at the end and summed: every call ending in the same quarter hour adds to the same
 * `call_rollups` row, which on PostgreSQL stays locked by the writing transaction until it
 * commits. Written where the call ends, the row stayed locked through the rest of the
 * transaction's round trips, and concurrent endings queued behind it one by one. Written last,
 * in one order of rows (so two transactions never wait on each other crosswise), the lock is
 * held for the last statement only; and a change that takes a call's part away and adds it
 * back (a wrap-up saved on an ended call) is one statement, or none when nothing moved.
 *
 * The one order: {@link writes} lists the rows by table and key, and on PostgreSQL they go
 * out as one statement (the outbox row last, the roll-ups in its `with`), which PostgreSQL
 * runs in one fixed order for a given list — the main write first, then the `with` parts from
 * the last to the first (its executor's `ExecPostprocessPlan`; the documentation calls the
 * order unspecified, so it is the same for every transaction of this code, not promised in
 * general). Every node of one version locks the rows in the same order. Nodes of the version
 * before (one statement per row, in key order) lock them the other way: during a rolling
 * upgrade two calls ended in the same quarter hour on an old and a new node can deadlock, and
 * PostgreSQL then breaks it by rolling one of them back (40P01), which the ledger runs again
 * (`CallLedger.run`).
 */
export class RollupChanges {
  private readonly calls = new Map<string, CallRollupChange>();
  private readonly waits = new Map<string, { day: string; outcome: string; wait_s: number; calls: number }>();
  /** The ended calls whose missed offers are added ({@link addMissedOf}), by bucket. */
  private readonly missed = new Map<string, { bucket: string; callIds: string[] }>();

  /** Adds (`sign` 1) or takes away (−1) an ended call's part of the roll-ups. */
  addCall(call: CallRow, sign: 1 | -1): void {
    // Outbound calls (callbacks) never waited in the queue: no figure counts them.
    if (call.state !== 'ended' || call.outcome === null || call.direction === 'outbound') return;
    const queuedMs = Date.parse(call.queued_at);
    const handled = call.talk_ms === null ? 0 : 1;
    const bucket = bucketOf(queuedMs);
    const row = this.calls.get(`${bucket}|${call.outcome}`) ?? { bucket_start: bucket, outcome: call.outcome, calls: 0, queue_ms: 0, handled: 0, handle_ms: 0 };
    row.calls += sign;
    row.queue_ms += sign * Number(call.queue_ms ?? 0);
    row.handled += sign * handled;
    row.handle_ms += sign * handled * (Number(call.talk_ms ?? 0) + Number(call.wrap_up_ms ?? 0));
    this.calls.set(`${bucket}|${call.outcome}`, row);
    if (!(TIMED_OUTCOMES as readonly string[]).includes(call.outcome)) return;
    const day = dayOf(queuedMs);
    const waitS = waitSecondsOf(call.queue_ms);
    const key = `${day}|${call.outcome}|${String(waitS).padStart(5, '0')}`;
    const wait = this.waits.get(key) ?? { day, outcome: call.outcome, wait_s: waitS, calls: 0 };
    wait.calls += sign;
    this.waits.set(key, wait);
  }

  /**
   * Adds the offers of `call` that rang out, per agent (once, when the call ends: no offer rings
   * after that). Counted by the statement that adds them, as the transaction ends ({@link
   * writes}): nothing is read here (on PostgreSQL the count goes out with the commit).
   */
  addMissedOf(call: Pick<CallRow, 'id' | 'queued_at'>): void {
    const bucket = bucketOf(Date.parse(call.queued_at));
    const calls = this.missed.get(bucket) ?? { bucket, callIds: [] };
    calls.callIds.push(call.id);
    this.missed.set(bucket, calls);
  }

  /**
   * The writes of the summed changes (rows in key order, changes of nothing left out), whose
   * results nobody reads, and forgets the changes: the ledger sends them as its transaction's
   * last statement (`LedgerTransaction.finish`, one statement on PostgreSQL with the outbox row).
   */
  writes(db: Kysely<Database>): UnreadWrite[] {
    const inOrder = <V>(rows: Map<string, V>) => [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    const calls = inOrder(this.calls).filter((r) => r.calls !== 0 || r.queue_ms !== 0 || r.handled !== 0 || r.handle_ms !== 0);
    const waits = inOrder(this.waits).filter((r) => r.calls !== 0);
    // A transaction may end several calls (a student's or an agent's, at the end of their grace).
    const missed = inOrder(this.missed);
    this.calls.clear();
    this.waits.clear();
    this.missed.clear();
    return [
      ...calls.map(
        (r): UnreadWrite => ({
          key: 'rollups.call',
          values: [r.bucket_start, r.outcome, r.calls, r.queue_ms, r.handled, r.handle_ms],
          build: ([bucket_start, outcome, n, queue_ms, handled, handle_ms]) =>
            db
              .insertInto('call_rollups')
              .values({ bucket_start, outcome, calls: n, queue_ms, handled, handle_ms } as never)
              .onConflict((oc) =>
                oc.columns(['bucket_start', 'outcome']).doUpdateSet((eb) => ({
                  calls: eb('call_rollups.calls', '+', eb.ref('excluded.calls')),
                  queue_ms: eb('call_rollups.queue_ms', '+', eb.ref('excluded.queue_ms')),
                  handled: eb('call_rollups.handled', '+', eb.ref('excluded.handled')),
                  handle_ms: eb('call_rollups.handle_ms', '+', eb.ref('excluded.handle_ms')),
                })),
              ),
        }),
      ),
      ...waits.map(
        (r): UnreadWrite => ({
          key: 'rollups.wait',
          values: [r.day, r.outcome, r.wait_s, r.calls],
          build: ([day, outcome, wait_s, n]) =>
            db
              .insertInto('call_wait_rollups')
              .values({ day, outcome, wait_s, calls: n } as never)
              .onConflict((oc) => oc.columns(['day', 'outcome', 'wait_s']).doUpdateSet((eb) => ({ calls: eb('call_wait_rollups.calls', '+', eb.ref('excluded.calls')) }))),
        }),
      ),
      // Per bucket, its calls' missed offers per agent, in agent order: rows locked in one order,
      // as above, whatever calls the transaction ended.
      ...missed.map(
        ({ bucket, callIds }): UnreadWrite => ({
          key: `rollups.missedOf:${callIds.length}`,
          values: [bucket, ...callIds],
          build: ([bucketStart, ...ids]) =>
            db
              .insertInto('call_missed_rollups')
              .columns(['bucket_start', 'agent_id', 'agent_name', 'missed'])
              .expression(
                db
                  .selectFrom('call_events')
                  .select([
                    sql<string>`cast(${bucketStart} as text)`.as('bucket_start'),
                    'actor_id',
                    sql<string>`coalesce(min(actor_name), actor_id)`.as('agent_name'),
                    (eb) => eb.fn.countAll<number>().as('missed'),
                  ])
                  .where('call_id', 'in', ids as string[])
                  // A literal, as the missed offers' partial index says it (migration 0026). With a
                  // parameter, PostgreSQL's generic plan of the prepared statement cannot use that
                  // index (no value proves its condition); SQLite's planner reads the bound value
                  // to prove it, which marks the statement to be prepared again whenever that
                  // parameter is bound anew — every call's end: ~10× the time of the statement
                  // itself (`tools/bench/missed-rollup.cjs`: 12.2 against 1.2 µs).
                  .where('type', '=', sql.lit('missed'))
                  .where('actor_id', 'is not', null)
                  .groupBy('actor_id')
                  .orderBy('actor_id'),
              )
              .onConflict((oc) => oc.columns(['bucket_start', 'agent_id']).doUpdateSet((eb) => ({ missed: eb('call_missed_rollups.missed', '+', eb.ref('excluded.missed')) }))),
        }),
      ),
    ];
  }
}

/** `queued_at`'s quarter hour, in SQL (both dialects; timestamps are ISO text). */
const BUCKET_SQL = sql<string>`substr(c.queued_at, 1, 14) || case when substr(c.queued_at, 15, 2) < '15' then '00' when substr(c.queued_at, 15, 2) < '30' then '15' when substr(c.queued_at, 15, 2) < '45' then '30' else '45' end || ':00.000Z'`;
const DAY_SQL = sql<string>`substr(c.queued_at, 1, 10) || 'T00:00:00.000Z'`;
const WAIT_SQL = sql<number>`case when coalesce(c.queue_ms, 0) > ${sql.lit(MAX_WAIT_SECONDS * 1000)} then ${sql.lit(MAX_WAIT_SECONDS + 1)} else (coalesce(c.queue_ms, 0) + 999) / 1000 end`;

function inRange(from: string, to: string): RawBuilder<unknown> {
  return sql`c.state = 'ended' and c.direction = 'inbound' and c.queued_at >= ${from} and c.queued_at < ${to}`;
}

/**
 * Recomputes the roll-ups of the calls queued in [from, to) from the stored records (the
 * migration's backfill, and tools that write calls directly, like `seed:month`). `from` and
 * `to` must be UTC midnights so whole histogram days are replaced. Run it in a transaction.
 */
export async function rebuildRollups(db: Kysely<Database>, from: string, to: string): Promise<void> {
  if (!from.endsWith('T00:00:00.000Z') || !to.endsWith('T00:00:00.000Z')) throw new Error('rebuildRollups needs a period of whole UTC days');
  await db.deleteFrom('call_rollups').where('bucket_start', '>=', from).where('bucket_start', '<', to).execute();
  await db.deleteFrom('call_wait_rollups').where('day', '>=', from).where('day', '<', to).execute();
  await db.deleteFrom('call_missed_rollups').where('bucket_start', '>=', from).where('bucket_start', '<', to).execute();
  await sql`insert into call_rollups (bucket_start, outcome, calls, queue_ms, handled, handle_ms)
    select ${BUCKET_SQL}, c.outcome, count(*), sum(coalesce(c.queue_ms, 0)),
           sum(case when c.talk_ms is null then 0 else 1 end), sum(case when c.talk_ms is null then 0 else c.talk_ms + coalesce(c.wrap_up_ms, 0) end)
    from calls c where ${inRange(from, to)} and c.outcome is not null
    group by 1, c.outcome`.execute(db);
  await sql`insert into call_wait_rollups (day, outcome, wait_s, calls)
    select ${DAY_SQL}, c.outcome, ${WAIT_SQL}, count(*)
    from calls c where ${inRange(from, to)} and c.outcome in (${sql.join(TIMED_OUTCOMES.map((o) => sql.lit(o)))})
    group by 1, c.outcome, 3`.execute(db);
  await sql`insert into call_missed_rollups (bucket_start, agent_id, agent_name, missed)
    select ${BUCKET_SQL}, e.actor_id, coalesce(min(e.actor_name), e.actor_id), count(*)
    from call_events e join calls c on c.id = e.call_id
    where ${inRange(from, to)} and e.type = 'missed' and e.actor_id is not null
    group by 1, e.actor_id`.execute(db);
}
