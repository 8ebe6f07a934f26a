import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { sql, SqliteAdapter, type Kysely } from 'kysely';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';

/** How often the calls ended meanwhile are filed into the history's sort indexes (SQLite). */
export const FILING_EVERY_MS = 10_000;
/**
 * Calls filed per statement, with a yield to the event loop between: each statement holds it
 * while it writes (~15–40 ms for 200 calls at 100 000 stored, ~70–200 for 1 000).
 */
export const FILING_BATCH = 200;

/**
 * SQLite: files the ended calls into the history's sort indexes (by wait, talk time, agent and
 * student name, with and without an agent; migration 0029) every {@link FILING_EVERY_MS}: the
 * calls that ended meanwhile, {@link FILING_BATCH} per statement. With a million calls stored
 * each call's entry in those indexes lands on a leaf of its own, which the commit that ended it
 * wrote to the WAL eight times over — the cost that grew with the calls stored. Here it leaves
 * the call's commit for a background pass: moved out of the call path, not made smaller (with
 * hundreds of agents and students, calls of one statement rarely share a leaf). Filing changes
 * no page of the history: until then those calls are read on the small indexes of the calls
 * not yet filed (`keysetRuns`). Nothing is lost if the process stops first: the flag is in the
 * row, and the next start files them. PostgreSQL files nothing (its calls are never pending).
 * Like retention's deletes, it writes `calls` outside `CallLedger`: it changes no fact of a call
 * (state, parties, times, outcome), only which indexes hold it, and the ledger neither reads
 * nor pins the flag.
 */
@Injectable()
export class HistoryFiling implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('HistoryFiling');
  private timer: NodeJS.Timeout | undefined;
  private filing: Promise<number> | null = null;
  /** Whether this database files (SQLite): PostgreSQL's calls are never pending. */
  private readonly files: boolean;

  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {
    this.files = db.getExecutor().adapter instanceof SqliteAdapter;
  }

  onApplicationBootstrap(): void {
    if (!this.files) return;
    this.timer = setInterval(() => {
      this.fileNow().catch((err: unknown) => this.logger.warn({ msg: 'filing ended calls failed', error: err instanceof Error ? err.message : String(err) }));
    }, FILING_EVERY_MS);
    this.timer.unref();
  }

  /** Stops filing at shutdown (see {@link stop}). */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Stops the passes; waits for one in progress, so that nothing writes once the database closes. {@link fileNow} still files. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.filing?.catch(() => undefined);
  }

  /**
   * How many ended calls wait to be filed (0 on PostgreSQL, without reading: there the column
   * has no index). Read on the small index of those calls. It stays near what ends in
   * {@link FILING_EVERY_MS}; one that keeps growing means the passes fail (their warning is in
   * the log) and the history's pages sort more of those calls in memory.
   */
  async notFiled(): Promise<number> {
    if (!this.files) return 0;
    const { rows } = await sql<{ n: number }>`select count(*) as n from calls where sort_pending = 1`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }

  /** Files every ended call not filed yet ({@link FILING_BATCH} per statement): how many. One pass at a time. */
  fileNow(): Promise<number> {
    if (!this.files) return Promise.resolve(0);
    this.filing ??= this.fileAll().finally(() => (this.filing = null));
    return this.filing;
  }

  private async fileAll(): Promise<number> {
    let filed = 0;
    for (;;) {
      // `sort_pending = 1` as the partial index's predicate, so the subquery reads that index.
      const { numAffectedRows } = await sql`update calls set sort_pending = 0 where rowid in (select rowid from calls where sort_pending = 1 limit ${FILING_BATCH})`.execute(this.db);
      const n = Number(numAffectedRows ?? 0);
      filed += n;
      if (n < FILING_BATCH) return filed;
      await yieldToOthers();
    }
  }
}
