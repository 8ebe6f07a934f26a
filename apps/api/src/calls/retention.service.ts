import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { InjectDatabase } from '../database/database.module';
import type { Database, DeadlineRow } from '../database/schema';
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
   * Deadline: one retention pass, then the next one a day later. A pass `keepGoing` stops
   * (the node is stopping) throws, so the deadline stays claimed and is taken up again once
   * its claim goes stale.
   */
  async run(row: DeadlineRow, keepGoing: () => boolean = () => true): Promise<void> {
    const months = this.config.retentionMonths;
    if (months === null) return;
    const startedAt = new Date();
    const result = await this.deleteBefore(retentionCutoff(startedAt, months), async () => keepGoing() && (await this.deadlines.refreshClaim(row)));
    if (!keepGoing()) throw new Error('retention pass stopped: the node is stopping');
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
      })
      .execute();
    this.logger.log({ msg: 'retention pass done', months, ...result });
    await this.deadlines.schedule('retention', RETENTION_SUBJECT, new Date(startedAt.getTime() + RETENTION_EVERY_MS));
  }

  /**
   * Deletes the ended calls queued before `cutoff`, their timelines and callback requests, a
   * batch per transaction; stops early when `stillMine` says another node took the pass over.
   */
  async deleteBefore(cutoff: Date, stillMine: () => Promise<boolean> = () => Promise.resolve(true)): Promise<RetentionResult> {
    const result: RetentionResult = { cutoff: cutoff.toISOString(), calls: 0, events: 0, callbacks: 0, batches: 0 };
    for (;;) {
      const batch = await this.db.transaction().execute(async (trx) => {
        // The oldest calls (on the queue-time index; a condition on `state` would make SQLite
        // read every ended call through its state index), of which only ended ones go.
        const ids = (await trx.selectFrom('calls').select('id').where('queued_at', '<', result.cutoff).orderBy('queued_at').limit(RETENTION_BATCH_SIZE).execute()).map((r) => r.id);
        if (ids.length === 0) return null;
        const ended = trx.selectFrom('calls').select('id').where('id', 'in', ids).where('state', '=', 'ended');
        const callbacks = await trx.deleteFrom('callback_requests').where('call_id', 'in', ended).executeTakeFirst();
        const events = await trx.deleteFrom('call_events').where('call_id', 'in', ended).executeTakeFirst();
        const calls = await trx.deleteFrom('calls').where('id', 'in', ids).where('state', '=', 'ended').executeTakeFirst();
        return { calls: Number(calls.numDeletedRows), events: Number(events.numDeletedRows), callbacks: Number(callbacks.numDeletedRows) };
      });
      // Done, or only calls still going on are that old (they are deleted once ended).
      if (!batch || batch.calls === 0) return result;
      result.calls += batch.calls;
      result.events += batch.events;
      result.callbacks += batch.callbacks;
      result.batches++;
      // Let the calls' own transactions and socket events run between batches.
      await yieldToOthers();
      if (!(await stillMine())) return result;
    }
  }
}
