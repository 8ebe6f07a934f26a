import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { InjectDatabase } from '../../database/database.module';
import type { Database } from '../../database/schema';
import { callIdOf, type LedgerEvent } from './ledger-events';

/** Something that reacts to committed ledger events (in commit order). */
export type LedgerReaction = (events: readonly LedgerEvent[]) => void | Promise<void>;

/**
 * An outbox row whose claim is older than this was left by a node that died (a live node
 * delivers and deletes its rows within milliseconds): any node delivers it.
 */
export const OUTBOX_STALE_MS = 10_000;

/**
 * How long a delivered row waits to be deleted by the next ledger transaction that commits on
 * this node ({@link LedgerOutbox.takeDelivered}; on SQLite the next grouped commit) before it
 * is deleted on its own.
 */
export const OUTBOX_RIDE_MS = 50;

/**
 * Delivers the ledger's committed events to the reactions (socket notifications, routing, the
 * queue feed), at least once. The committing node delivers at once, in commit order, and then
 * deletes the transaction's `ledger_outbox` row; a row left behind (the node died between
 * commit and delivery) is claimed by whichever node polls first ({@link redeliverStale}, run by
 * the deadline worker) and delivered from there. Socket notifications reach every node through
 * the Socket.IO adapter (Redis when `REDIS_URL` is set), so delivering on any node is enough.
 */
@Injectable()
export class LedgerOutbox implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LedgerOutbox');
  private readonly reactions: LedgerReaction[] = [];
  private readonly delivered: string[] = [];
  private deleting: Promise<void> | null = null;
  /** How long delivered rows wait for a ledger transaction to delete them in passing; null: deleted at once, on their own. */
  private rideMs: number | null = null;
  /** Ends that wait now (shutdown, tests: {@link settled}). */
  private stopWaiting: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly inFlightIds = new Set<string>();
  private refresh: (events: readonly LedgerEvent[]) => Promise<LedgerEvent[]> = async (events) => [...events];
  /** This node's id: its claim on the outbox rows it commits and on the deadlines it runs (`claimed_by`). */
  readonly nodeId = randomUUID();

  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** Adds a reaction to every committed event (called once per reaction at start-up). */
  react(reaction: LedgerReaction): void {
    this.reactions.push(reaction);
  }

  /**
   * Sets how events found undelivered long after their commit are brought up to date before
   * the reactions see them (e.g. an offer that has since been answered is not rung again).
   */
  refreshStaleWith(refresh: (events: readonly LedgerEvent[]) => Promise<LedgerEvent[]>): void {
    this.refresh = refresh;
  }

  /** Delivers one committed transaction's events (in the order they happened), then forgets its row. */
  deliver(outboxId: string, events: readonly LedgerEvent[]): void {
    const turns = this.deliverInTurns(outboxId);
    turns.deliver(events);
    turns.end();
  }

  /**
   * Delivers the events of one row in turns — a grouped transaction's units, each as if it had
   * committed alone (its own reactions' turn, its own log bindings) — and forgets the row once
   * every turn's reactions have finished.
   */
  deliverInTurns(outboxId: string): { deliver(events: readonly LedgerEvent[]): void; end(): void } {
    this.inFlightIds.add(outboxId);
    const turns: Promise<void>[] = [];
    return {
      deliver: (events) => {
        turns.push(this.runReactions(events));
      },
      end: () => {
        const running = Promise.all(turns).then(() => this.forget(outboxId));
        this.inFlight.add(running);
        void running.finally(() => this.inFlight.delete(running));
      },
    };
  }

  /**
   * Claims and delivers the rows a dead node left (claimed longer than {@link OUTBOX_STALE_MS}
   * ago), oldest first; how many.
   */
  async redeliverStale(now = new Date(), limit = 100): Promise<number> {
    const nodeId = this.nodeId;
    const staleBefore = new Date(now.getTime() - OUTBOX_STALE_MS).toISOString();
    // Oldest first; rows of one millisecond in commit order on SQLite (a row's rowid is past
    // every stored one's). PostgreSQL's transactions commit side by side: no order among them.
    const rows = await this.db
      .selectFrom('ledger_outbox')
      .selectAll()
      .where('claimed_at', '<', staleBefore)
      .orderBy('created_at')
      .orderBy(this.db.getExecutor().adapter instanceof SqliteAdapter ? sql`rowid` : sql`id`)
      .limit(limit)
      .execute();
    let count = 0;
    for (const row of rows) {
      if (this.inFlightIds.has(row.id)) continue;
      const claim = await this.db
        .updateTable('ledger_outbox')
        .set({ claimed_by: nodeId, claimed_at: now.toISOString() })
        .where('id', '=', row.id)
        .where('claimed_at', '<', staleBefore)
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) === 0) continue;
      this.logger.warn({ msg: 'redelivering ledger events left by a node', outboxId: row.id, createdAt: row.created_at });
      await this.runReactions(await this.refresh(JSON.parse(row.events) as LedgerEvent[]));
      await this.db.deleteFrom('ledger_outbox').where('id', '=', row.id).execute();
      count++;
    }
    return count;
  }

  /**
   * From now on delivered rows are deleted by the ledger's next transaction that commits
   * anyway ({@link takeDelivered}), with its commit, instead of by a statement and a commit of
   * their own; those left after `waitMs` are deleted on their own, as before.
   */
  deleteInTransactions(waitMs = OUTBOX_RIDE_MS): void {
    this.rideMs = waitMs;
  }

  /**
   * Delivered rows, for a transaction about to commit to delete: they are its to delete, and
   * come back ({@link returnDelivered}) if it does not commit.
   */
  takeDelivered(): string[] {
    return this.delivered.splice(0, MAX_DELETED_PER_STATEMENT);
  }

  /** Rows a transaction took ({@link takeDelivered}) but did not delete: deleted later. */
  returnDelivered(ids: readonly string[]): void {
    for (const id of ids) this.forget(id);
  }

  /** Lets the deliveries in hand finish before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every delivery started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0 || this.deleting) {
      if (this.inFlight.size === 0) this.stopWaiting?.();
      await Promise.all([...this.inFlight, this.deleting]);
    }
  }

  private async runReactions(events: readonly LedgerEvent[]): Promise<void> {
    // Synchronous parts (socket notifications) run now, in commit order; async parts are awaited
    // before the row is forgotten, so a crash before they finish means a redelivery.
    const pending: Promise<void>[] = [];
    const failed = (err: unknown) => this.logger.error({ msg: 'ledger reaction failed', ...callOfEvents(events), error: String(err) });
    for (const reaction of this.reactions) {
      try {
        const result = reaction(events);
        if (result) pending.push(result.catch(failed));
      } catch (err) {
        failed(err);
      }
    }
    await Promise.all(pending);
  }

  /** Deletes delivered rows, many per statement. */
  private forget(outboxId: string): void {
    this.inFlightIds.delete(outboxId);
    this.delivered.push(outboxId);
    this.deleting ??= this.deleteDelivered();
  }

  private async deleteDelivered(): Promise<void> {
    const wait = this.rideMs;
    if (wait === null) await new Promise<void>((resolve) => setImmediate(resolve));
    else {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.stopWaiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.stopWaiting = null;
    }
    try {
      while (this.delivered.length > 0) {
        const ids = this.delivered.splice(0, MAX_DELETED_PER_STATEMENT);
        await this.db.deleteFrom('ledger_outbox').where('id', 'in', ids).execute();
      }
    } catch (err) {
      this.logger.error({ msg: 'outbox clean-up failed; its rows will be redelivered', error: String(err) });
    } finally {
      this.deleting = null;
    }
  }
}

/** Most delivered rows one statement deletes. */
const MAX_DELETED_PER_STATEMENT = 500;

/** `{ callId }` of the call a commit's events are about, for a log line. */
function callOfEvents(events: readonly LedgerEvent[]): { callId?: string } {
  const callId = events.map(callIdOf).find((id) => id !== null);
  return callId ? { callId } : {};
}
