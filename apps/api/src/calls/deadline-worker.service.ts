import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DeadlineRow } from '../database/schema';
import { CallCompletion } from './call-completion.service';
import { CallRouter } from './call-router.service';
import { CallbackCalls } from './callback-calls.service';
import { Deadlines } from './deadlines';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { PresenceKeeper } from './presence-keeper.service';
import { RetentionService } from './retention.service';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * Runs due deadlines: polls `deadlines`, claims each due row atomically for this node and runs
 * its handler, which deletes it with what it did (`CallLedger.runDeadline`: one transaction; a
 * row cancelled, moved or taken over meanwhile is left as it is, or gone, and nothing is
 * done). Handlers check the current state, so a deadline whose subject moved on does nothing,
 * and one that failed is retried when its claim goes stale. Each poll also delivers the ledger
 * events a dead node left undelivered. At start-up it first reconciles presence, then picks up
 * whatever fell due while no node was running.
 */
@Injectable()
export class DeadlineWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DeadlineWorker');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /**
   * The retention pass in hand: it runs beside the poll (a first pass over years of calls takes
   * minutes, and the calls' own deadlines — ring timeouts, wrap-ups — must not wait for it).
   */
  private retentionPass: Promise<void> | null = null;

  constructor(
    private readonly deadlines: Deadlines,
    private readonly router: CallRouter,
    private readonly completion: CallCompletion,
    private readonly keeper: PresenceKeeper,
    private readonly callbacks: CallbackCalls,
    private readonly outbox: LedgerOutbox,
    private readonly retention: RetentionService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Reconciles presence and starts polling. */
  async onApplicationBootstrap(): Promise<void> {
    await this.keeper.reconcile();
    // Whatever routing a node that stopped had not done yet (its events were delivered, its
    // pass was not): one pass now.
    await this.router.dispatch();
    this.timer = setInterval(() => void this.tick(), this.config.calls.deadlinePollMs);
    this.timer.unref();
    await this.tick();
  }

  /** Stops polling and waits for the deadlines and ledger deliveries in hand. */
  async onModuleDestroy(): Promise<void> {
    await this.keeper.stop();
    await this.stopClaiming();
    await this.outbox.settled();
  }

  /** Stops polling: no more deadlines or stale outbox rows are claimed; waits for the ones in hand. */
  async stopClaiming(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.retentionPass;
  }

  /** Runs every due deadline once (also what the timer does). */
  tick(): Promise<void> {
    this.running ??= this.runDue().finally(() => (this.running = null));
    return this.running;
  }

  private async runDue(): Promise<void> {
    try {
      for (const row of await this.deadlines.claimDue(this.outbox.nodeId, new Date())) {
        if (!this.timer) return;
        if (row.kind === 'retention') {
          this.retentionPass ??= this.run(row).finally(() => (this.retentionPass = null));
          continue;
        }
        await this.run(row);
      }
      if (this.timer) await this.outbox.redeliverStale();
    } catch (err) {
      this.logger.error({ msg: 'deadline poll failed', error: String(err) });
    }
  }

  private async run(row: DeadlineRow): Promise<void> {
    try {
      await this.handle(row);
    } catch (err) {
      const subject = row.kind === 'wrap_up_end' || row.kind === 'presence_grace' ? { userId: row.subject_id } : row.kind === 'retention' ? {} : { callId: row.subject_id };
      this.logger.error({ msg: 'deadline failed; retried when its claim goes stale', kind: row.kind, subjectId: row.subject_id, ...subject, error: String(err) });
    }
  }

  private handle(row: DeadlineRow): Promise<void> {
    switch (row.kind) {
      case 'ring_timeout':
        return this.callbacks.ringOut(row).then((outbound) => (outbound ? undefined : this.router.ringOut(row)));
      case 'max_wait':
        return this.completion.maxWaitReached(row);
      case 'media_timeout':
        return this.completion.mediaTimedOut(row);
      case 'wrap_up_end':
        return this.completion.wrapUpTimedOut(row);
      case 'presence_grace':
        return this.keeper.graceEnded(row);
      case 'retention':
        // Stops between batches when this node stops (the claim goes stale; a node takes the rest).
        return this.retention.run(row, () => this.timer !== null);
    }
  }
}
