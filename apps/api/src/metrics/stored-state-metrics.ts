import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { Gauge } from 'prom-client';
import { AGENT_STATES, CALL_STATES, isInProgress, isWaiting, type AgentState, type CallState } from '@switchboard/call-domain';
import type { SocketData } from '../auth/socket-auth';
import { FILING_EVERY_MS, HistoryFiling } from '../calls/history-filing.service';
import { LedgerOutbox } from '../calls/ledger/ledger-outbox';
import { SocketRooms } from '../calls/socket-rooms';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import { ServerMetrics } from './server-metrics';

const WAITING = CALL_STATES.filter((state) => isWaiting({ state }));
const IN_PROGRESS = CALL_STATES.filter((state) => isInProgress({ state }));

/**
 * The metrics that describe shared state, read from the database when Prometheus scrapes (so
 * every node reports the same truth, right after a restart too): calls waiting and in
 * progress, agents by state, ledger events not yet delivered, ended calls not yet filed into the
 * history's sort indexes (SQLite). Also this node's sockets by
 * role, and the ledger reaction that counts calls ended by outcome.
 */
@Injectable()
export class StoredStateMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly outbox: LedgerOutbox,
    private readonly filing: HistoryFiling,
    private readonly rooms: SocketRooms,
    @InjectDatabase() private readonly db: Kysely<Database>,
  ) {}

  /** Registers the gauges and the calls-ended reaction. */
  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const calls = (states: readonly CallState[]) => this.callsIn(states);
    new Gauge({
      name: 'switchboard_calls_waiting',
      help: 'Calls waiting for an agent (queued or ringing), from the database.',
      registers,
      async collect() {
        this.set(await calls(WAITING));
      },
    });
    new Gauge({
      name: 'switchboard_calls_in_progress',
      help: 'Calls accepted and not ended, from the database.',
      registers,
      async collect() {
        this.set(await calls(IN_PROGRESS));
      },
    });
    const agents = () => this.agentsByState();
    new Gauge({
      name: 'switchboard_agents',
      help: 'Agents by presence state, from the database (offline includes agents never signed in since their last session).',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const counts = await agents();
        for (const state of AGENT_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
    const outboxRows = () => this.outboxRows();
    new Gauge({
      name: 'switchboard_ledger_outbox_pending',
      help: 'Committed ledger transactions whose events are not delivered yet (ledger_outbox rows), from the database.',
      registers,
      async collect() {
        this.set(await outboxRows());
      },
    });
    const notFiled = () => this.filing.notFiled();
    new Gauge({
      name: 'switchboard_calls_not_filed',
      help: `Ended calls not yet filed into the history's sort indexes (SQLite files them every ${FILING_EVERY_MS / 1000} s; always 0 on PostgreSQL), from the database.`,
      registers,
      async collect() {
        this.set(await notFiled());
      },
    });
    const sockets = () => this.socketsByRole();
    new Gauge({
      name: 'switchboard_sockets_connected',
      help: "Socket.IO connections open on this node, by the user's role.",
      labelNames: ['role'] as const,
      registers,
      collect() {
        this.reset();
        for (const [role, count] of sockets()) this.set({ role }, count);
      },
    });
    this.outbox.react((events) => {
      for (const event of events) if (event.type === 'callEnded') this.metrics.callsEnded.inc({ outcome: event.notice.outcome });
    });
  }

  private async callsIn(states: readonly CallState[]): Promise<number> {
    const row = await this.db
      .selectFrom('calls')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('outcome', 'is', null)
      .where('state', 'in', states)
      // A callback ringing at a student waits for no agent.
      .where((eb) => eb.or([eb('direction', '=', 'inbound'), eb('state', '<>', 'ringing')]))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  private async agentsByState(): Promise<Map<AgentState, number>> {
    const rows = await this.db
      .selectFrom('agent_presence')
      .select(['state', (eb) => eb.fn.countAll<number | string>().as('count')])
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state, Number(r.count)]));
  }

  private async outboxRows(): Promise<number> {
    const row = await this.db.selectFrom('ledger_outbox').select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  private socketsByRole(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const socket of this.rooms.io.of('/').sockets.values()) {
      const role = (socket.data as SocketData).user.role;
      counts.set(role, (counts.get(role) ?? 0) + 1);
    }
    return counts;
  }
}
