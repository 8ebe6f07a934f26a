import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { InjectDatabase } from '../database/database.module';
import type { Database, DeadlineRow, RetentionStatus } from '../database/schema';
import { Deadlines } from './deadlines';
import { LedgerOutbox } from './ledger/ledger-outbox';

/** Calls deleted per transaction: short enough that a call's own transaction never waits long behind one. */
export const RETENTION_BATCH_SIZE = 1000;
/** The one retention deadline's subject. */
export const RETENTION_SUBJECT = 'calls';
/** How often the retention pass runs. */
const RETENTION_EVERY_MS = 24 * 3600 * 1000;

/** What one retention pass deleted. */
export interface RetentionResult {
  cutoff: string;
  calls: number;
  events: number;
  callbacks: number;
  batches: number;
  /** False when the pass stopped before the last batch (its claim lost, or the node stopping). */
  complete: boolean;
}

/** The start of the UTC day `months` calendar months before `now`: calls queued before it are past retention. */
export function retentionCutoff(now: Date, months: number): Date {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
  // The same day of that month, or its last day (31 March − 1 month → 28/29 February).
  const lastDay = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), Math.min(now.getUTCDate(), lastDay)));
}

/**
 * RETENTION_MONTHS: once a day (a `retention` deadline row, so exactly one node of many runs
 * it, and a node that dies mid-pass leaves it to another), deletes the ended calls queued
 * before the cutoff with their timelines and callback requests, {@link RETENTION_BATCH_SIZE}
 * calls per transaction, yielding between batches so calls going on are never held up, and
 * records the pass in `retention_runs`. The metrics roll-ups are left as they are: the
 * figures of deleted calls stay. (Switchboard stores no call recordings.)
 *
 * A callback request is the student's, not the call's: one not yet done (open or taken) is
 * kept whatever its call's age, with the call it was left on (the context an agent calls
 * back with) and the calls placed for it. Once done, it goes with its newest call: the
 * request and every call of it (the one it was left on, the ones placed for it) are deleted
 * together in the pass after the newest of them is past the cutoff, so no call ever points
 * at a missing request and no request at a missing call.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Retention');

  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @InjectConfig() private readonly config: AppConfig,
    private readonly deadlines: Deadlines,
    private readonly outbox: LedgerOutbox,
  ) {}

  /** Schedules the first pass now, unless one is scheduled already; removes it when retention is off. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.retentionMonths === null) {
      await this.deadlines.cancel(RETENTION_SUBJECT, 'retention');
      return;
    }
    await this.deadlines.scheduleIfAbsent('retention', RETENTION_SUBJECT, new Date());
  }

  /**
   * Deadline: one retention pass, recorded in `retention_runs` with what it deleted, then the
   * next one a day later. A pass that lost its claim (it went stale and another node took the
   * deadline) stops between batches, is recorded `handed_over` and leaves the deadline to that
   * node. A pass `keepGoing` stops (the node is stopping) is recorded `stopped` and throws, so
   * the deadline stays claimed and is taken up again once its claim goes stale.
   */
  async run(row: DeadlineRow, keepGoing: () => boolean = () => true): Promise<void> {
    const months = this.config.retentionMonths;
    if (months === null) {
      // Turned off since it was set: this was the last pass.
      await this.deadlines.complete(row);
      return;
    }
    const startedAt = new Date();
    let claimLost = false;
    const result = await this.deleteBefore(retentionCutoff(startedAt, months), async () => {
      if (!keepGoing()) return false;
      claimLost = !(await this.deadlines.refreshClaim(row));
      return !claimLost;
    });
    const status: RetentionStatus = result.complete ? 'completed' : claimLost ? 'handed_over' : 'stopped';
    await this.db
      .insertInto('retention_runs')
      .values({
        id: randomUUID(),
        node_id: this.outbox.nodeId,
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
        months,
        cutoff: result.cutoff,
        calls_deleted: result.calls,
        events_deleted: result.events,
        callbacks_deleted: result.callbacks,
        batches: result.batches,
        status,
      })
      .execute();
    const { complete: _, ...deleted } = result;
    if (status === 'stopped') throw new Error('retention pass stopped: the node is stopping');
    if (status === 'handed_over') {
      // The node holding the claim now deletes the rest and schedules the next pass.
      this.logger.warn({ msg: 'retention pass handed over: another node took its deadline', months, ...deleted });
      return;
    }
    this.logger.log({ msg: 'retention pass done', months, ...deleted });
    await this.deadlines.schedule('retention', RETENTION_SUBJECT, new Date(startedAt.getTime() + RETENTION_EVERY_MS));
  }

  /**
   * Deletes the ended calls queued before `cutoff`, their timelines and callback requests (but
   * see the class: requests not done, and done ones with a newer call, are kept with their
   * calls), a batch per transaction; stops early when `stillMine` says another node took the
   * pass over or the node is stopping (`complete` false).
   */
  async deleteBefore(cutoff: Date, stillMine: () => Promise<boolean> = () => Promise.resolve(true)): Promise<RetentionResult> {
    const result: RetentionResult = { cutoff: cutoff.toISOString(), calls: 0, events: 0, callbacks: 0, batches: 0, complete: false };
    let after: CallKey | null = null;
    for (;;) {
      const from: CallKey | null = after;
      const batch: Batch | null = await this.db.transaction().execute((trx) => deleteBatch(trx, result.cutoff, from));
      if (!batch) break;
      result.calls += batch.calls;
      result.events += batch.events;
      result.callbacks += batch.callbacks;
      result.batches++;
      if (batch.last === null) break;
      after = batch.last;
      // Let the calls' own transactions and socket events run between batches.
      await yieldToOthers();
      if (!(await stillMine())) return result;
    }
    result.complete = true;
    return result;
  }
}

/** Where a batch stopped in (queue time, id) order: the next one starts after it. */
interface CallKey {
  queued_at: string;
  id: string;
}

/** What one retention transaction deleted, and where the next one starts (null: it was the last). */
interface Batch {
  calls: number;
  events: number;
  callbacks: number;
  last: CallKey | null;
}

/**
 * One retention transaction: the next {@link RETENTION_BATCH_SIZE} calls queued before `cutoff`
 * after `after` (in queue-time order on the (queued_at, id) index, so calls kept — not ended
 * yet, or kept for a callback request — are stepped over, never read again); of them, deletes
 * the ended ones no kept request holds, and each done request with its calls once all of them
 * are past the cutoff. Null when no call is left; `last` is null on the last batch.
 */
async function deleteBatch(trx: Transaction<Database>, cutoff: string, after: CallKey | null): Promise<Batch | null> {
  const rows = await trx
    .selectFrom('calls')
    .select(['id', 'queued_at', 'state', 'callback_id'])
    .where('queued_at', '<', cutoff)
    .$if(after !== null, (qb) => qb.where(({ eb, refTuple, tuple }) => eb(refTuple('queued_at', 'id'), '>', tuple(after?.queued_at ?? '', after?.id ?? ''))))
    .orderBy('queued_at')
    .orderBy('id')
    .limit(RETENTION_BATCH_SIZE)
    .execute();
  if (rows.length === 0) return null;
  const last = rows.length < RETENTION_BATCH_SIZE ? null : { queued_at: rows[rows.length - 1].queued_at, id: rows[rows.length - 1].id };
  const ended = rows.filter((r) => r.state === 'ended');
  const endedIds = ended.map((r) => r.id);
  const placedFor = [...new Set(ended.flatMap((r) => (r.callback_id === null ? [] : [r.callback_id])))];
  if (endedIds.length === 0) return { calls: 0, events: 0, callbacks: 0, last };

  // The requests these calls were left on or placed for, and which of them stay.
  const requests = await trx
    .selectFrom('callback_requests')
    .select(['id', 'call_id'])
    .where((eb) => eb.or([eb('call_id', 'in', endedIds), ...(placedFor.length > 0 ? [eb('id', 'in', placedFor)] : [])]))
    .execute();
  const kept = new Set<string>();
  if (requests.length > 0) {
    const stillLive = (eb: ExpressionBuilder<Database, 'calls'>) => eb.or([eb('calls.queued_at', '>=', cutoff), eb('calls.state', '!=', 'ended')]);
    const rows = await trx
      .selectFrom('callback_requests as r')
      .select('r.id')
      .where(
        'r.id',
        'in',
        requests.map((r) => r.id),
      )
      .where((eb) =>
        eb.or([
          eb('r.done_at', 'is', null),
          eb.exists(eb.selectFrom('calls').select('calls.id').whereRef('calls.id', '=', 'r.call_id').where(stillLive)),
          eb.exists(eb.selectFrom('calls').select('calls.id').whereRef('calls.callback_id', '=', 'r.id').where(stillLive)),
        ]),
      )
      .execute();
    for (const r of rows) kept.add(r.id);
  }
  const keptCalls = new Set(requests.flatMap((r) => (kept.has(r.id) && r.call_id !== null ? [r.call_id] : [])));
  const doomed = requests.filter((r) => !kept.has(r.id)).map((r) => r.id);
  const ids = new Set(ended.filter((r) => !keptCalls.has(r.id) && (r.callback_id === null || !kept.has(r.callback_id))).map((r) => r.id));
  if (doomed.length > 0) {
    // A done request goes with every call of it, in this transaction, wherever they are in queue-time order
    // (all are ended and past the cutoff, or it would have been kept). Outbound calls never have requests of their own.
    const group = await trx
      .selectFrom('callback_requests as r')
      .innerJoin('calls', 'calls.id', 'r.call_id')
      .select('calls.id')
      .where('r.id', 'in', doomed)
      .union(trx.selectFrom('calls').select('calls.id').where('calls.callback_id', 'in', doomed))
      .execute();
    for (const c of group) ids.add(c.id);
  }
  const callbacks = doomed.length === 0 ? 0 : Number((await trx.deleteFrom('callback_requests').where('id', 'in', doomed).executeTakeFirst()).numDeletedRows);
  if (ids.size === 0) return { calls: 0, events: 0, callbacks, last };
  const callers = await trx.selectFrom('calls').select('caller_id').distinct().where('id', 'in', [...ids]).execute();
  const events = await trx.deleteFrom('call_events').where('call_id', 'in', [...ids]).executeTakeFirst();
  const calls = await trx.deleteFrom('calls').where('id', 'in', [...ids]).where('state', '=', 'ended').executeTakeFirst();
  // The student search forgets a name (and username) no stored call has any more.
  await trx
    .deleteFrom('call_callers')
    .where(
      'caller_id',
      'in',
      callers.map((c) => c.caller_id),
    )
    .where(({ exists, not, selectFrom }) =>
      not(exists(selectFrom('calls').select('calls.id').whereRef('calls.caller_id', '=', 'call_callers.caller_id').whereRef('calls.caller_name', '=', 'call_callers.caller_name'))),
    )
    .execute();
  return { calls: Number(calls.numDeletedRows), events: Number(events.numDeletedRows), callbacks, last };
}
