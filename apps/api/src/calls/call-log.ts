import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { logsAt } from '../logger';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { callIdOf, type LedgerEvent } from './ledger/ledger-events';

/** Events logged at `log`; the others of a call's life at `debug`. */
const MILESTONES = new Set<LedgerEvent['type']>(['callQueued', 'callAccepted', 'callEnded']);

/**
 * A call's life in the log, one line per ledger event with its `callId`: queued, accepted and
 * ended at `log`; offers, requeues, media and negotiations at `debug`. Agents' status changes
 * are left to the metrics (`switchboard_agents`).
 */
@Injectable()
export class CallLog implements OnModuleInit {
  private readonly logger = new Logger('Calls');

  constructor(private readonly outbox: LedgerOutbox) {}

  /** Logs every delivered call event. */
  onModuleInit(): void {
    this.outbox.react((events) => {
      for (const event of events) if (event.type !== 'agentStatusChanged') this.write(event);
    });
  }

  private write(event: Exclude<LedgerEvent, { type: 'agentStatusChanged' }>): void {
    const milestone = MILESTONES.has(event.type);
    // A line not written is not made.
    if (!logsAt(milestone ? 'log' : 'debug')) return;
    const line = { msg: event.type, callId: callIdOf(event), ...details(event) };
    if (milestone) this.logger.log(line);
    else this.logger.debug(line);
  }
}

function details(event: LedgerEvent): Record<string, unknown> {
  switch (event.type) {
    case 'callQueued':
      return { callerId: event.callerId };
    case 'callOffered':
      return { agentId: event.agentId };
    case 'offerWithdrawn':
      return { agentId: event.agentId, reason: event.reason };
    case 'callAccepted':
      return { agentId: event.agent.id };
    case 'callEnded':
      return { outcome: event.notice.outcome, endedBy: event.notice.endedBy, reason: event.notice.reason, agentId: event.agentId };
    default:
      return {};
  }
}
