import { sql, type Kysely, type RawBuilder } from 'kysely';
import { runPrepared } from '../../database/prepared-queries';
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

/** A call's part of `call_rollups` (one row's deltas) and of `call_wait_rollups` (null: it has none there). */
interface RollupPart {
  bucket: string;
  outcome: string;
  calls: number;
  queueMs: number;
  handled: number;
  handleMs: number;
  /** Its queue-time histogram cell, for the outcomes compared with thresholds. */
  wait: { day: string; waitS: number } | null;
}

/** What an ended inbound call adds to the roll-ups; null for a call that adds nothing (not ended, no outcome, or outbound: callbacks never waited in the queue). */
function rollupPartOf(call: CallRow): RollupPart | null {
  if (call.state !== 'ended' || call.outcome === null || call.direction === 'outbound') return null;
  const queuedMs = Date.parse(call.queued_at);
  const handled = call.talk_ms === null ? 0 : 1;
  return {
    bucket: bucketOf(queuedMs),
    outcome: call.outcome,
    calls: 1,
    queueMs: Number(call.queue_ms ?? 0),
    handled,
    handleMs: handled * (Number(call.talk_ms ?? 0) + Number(call.wrap_up_ms ?? 0)),
    wait: (TIMED_OUTCOMES as readonly string[]).includes(call.outcome) ? { day: dayOf(queuedMs), waitS: waitSecondsOf(call.queue_ms) } : null,
  };
}

/**
 * Moves a call's part of the roll-ups from what `before` added to what `after` adds: the
 * invariant is that the roll-ups are the sum of the stored ended calls' parts (calls not yet
 * ended are read raw). The ledger calls it in the transaction that changes the call. Only the
 * net change is written: a wrap-up saved on an ended call changes one row's handle time, and
 * a row whose deltas are all zero is not touched.
 */
export async function moveCallRollups(db: Kysely<Database>, before: CallRow, after: CallRow): Promise<void> {
  const from = rollupPartOf(before);
  const to = rollupPartOf(after);
  const deltas = new Map<string, [string, string, number, number, number, number]>();
  const add = (part: RollupPart, sign: number) => {
    const key = `${part.bucket}|${part.outcome}`;
    const d = deltas.get(key) ?? [part.bucket, part.outcome, 0, 0, 0, 0];
    d[2] += sign * part.calls;
    d[3] += sign * part.queueMs;
    d[4] += sign * part.handled;
    d[5] += sign * part.handleMs;
    deltas.set(key, d);
  };
  if (from) add(from, -1);
  if (to) add(to, 1);
  for (const d of deltas.values()) {
    if (d[2] === 0 && d[3] === 0 && d[4] === 0 && d[5] === 0) continue;
    await runPrepared(db, 'rollups.calls', d, ([bucket_start, outcome, calls, queue_ms, handled, handle_ms]) =>
      db
        .insertInto('call_rollups')
        .values({ bucket_start, outcome, calls, queue_ms, handled, handle_ms } as never)
        .onConflict((oc) =>
          oc.columns(['bucket_start', 'outcome']).doUpdateSet((eb) => ({
            calls: eb('call_rollups.calls', '+', eb.ref('excluded.calls')),
            queue_ms: eb('call_rollups.queue_ms', '+', eb.ref('excluded.queue_ms')),
            handled: eb('call_rollups.handled', '+', eb.ref('excluded.handled')),
            handle_ms: eb('call_rollups.handle_ms', '+', eb.ref('excluded.handle_ms')),
          })),
        ),
    );
  }
  const cells = new Map<string, [string, string, number, number]>();
  const addCell = (part: RollupPart | null, sign: number) => {
    if (!part?.wait) return;
    const key = `${part.wait.day}|${part.outcome}|${part.wait.waitS}`;
    const c = cells.get(key) ?? [part.wait.day, part.outcome, part.wait.waitS, 0];
    c[3] += sign;
    cells.set(key, c);
  };
  addCell(from, -1);
  addCell(to, 1);
  for (const c of cells.values()) {
    if (c[3] === 0) continue;
    await runPrepared(db, 'rollups.wait', c, ([day, outcome, wait_s, calls]) =>
      db
        .insertInto('call_wait_rollups')
        .values({ day, outcome, wait_s, calls } as never)
        .onConflict((oc) => oc.columns(['day', 'outcome', 'wait_s']).doUpdateSet((eb) => ({ calls: eb('call_wait_rollups.calls', '+', eb.ref('excluded.calls')) }))),
    );
  }
}

/** Adds the offers of `call` that rang out, per agent, to the roll-ups (once, when the call ends: no offer rings after that). */
export async function addMissedRollups(db: Kysely<Database>, call: Pick<CallRow, 'id' | 'queued_at'>): Promise<void> {
  const missed = (
    await runPrepared(db, 'rollups.missedOf', [call.id, 'missed'], ([callId, type]) =>
      db
        .selectFrom('call_events')
        .select(['actor_id', (eb) => eb.fn.min('actor_name').as('actor_name'), (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('call_id', '=', callId as string)
        .where('type', '=', type as 'missed')
        .where('actor_id', 'is not', null)
        .groupBy('actor_id'),
    )
  ).rows;
  const bucket = bucketOf(Date.parse(call.queued_at));
  for (const m of missed) {
    await runPrepared(db, 'rollups.missed', [bucket, m.actor_id ?? '', m.actor_name ?? m.actor_id ?? '', Number(m.n)], ([bucket_start, agent_id, agent_name, n]) =>
      db
        .insertInto('call_missed_rollups')
        .values({ bucket_start, agent_id, agent_name, missed: n } as never)
        .onConflict((oc) => oc.columns(['bucket_start', 'agent_id']).doUpdateSet((eb) => ({ missed: eb('call_missed_rollups.missed', '+', eb.ref('excluded.missed')) }))),
    );
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
