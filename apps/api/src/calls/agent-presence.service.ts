import { Injectable } from '@nestjs/common';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { AgentState, AgentStatus, CallState, RoutingAgent, SessionUser } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { runPrepared } from '../database/prepared-queries';
import type { AgentPresenceRow, Database } from '../database/schema';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { toAgentStatus } from './agent-status';
import { secondsAfter } from './deadlines';
import { CallLedger, type AgentMove, type LedgerTransaction } from './ledger/call-ledger';

/**
 * Agents' presence, kept in `agent_presence` (the server's truth, per agent, so two tabs
 * never flip each other's state): reads for routing and the board, and the connection and
 * state changes, each through the ledger (moves checked against the agent state machine,
 * recorded in `agent_state_changes`, announced by the ledger's `agentStatusChanged`).
 */
@Injectable()
export class AgentPresence {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly ledger: CallLedger,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** The agent's presence, if they ever connected. */
  async get(agentId: string): Promise<AgentPresenceRow | undefined> {
    return this.db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
  }

  /** Every agent's status, by name. */
  async all(): Promise<AgentStatus[]> {
    const rows = await this.db.selectFrom('agent_presence').selectAll().orderBy('display_name').execute();
    return rows.map(toAgentStatus);
  }

  /**
   * Marks the agent connected (a new agent starts Offline), ends a grace period that was
   * running, and announces it; the row.
   */
  connect(agent: SessionUser): Promise<AgentPresenceRow> {
    return this.ledger.run(async (tx) => {
      await tx.db
        .insertInto('agent_presence')
        .values({ agent_id: agent.id, display_name: agent.displayName, state: 'offline', since: tx.nowIso, connected: 0, call_id: null, idle_since: tx.nowIso, wrap_up_ends_at: null })
        .onConflict((oc) => oc.column('agent_id').doUpdateSet({ display_name: agent.displayName }))
        .execute();
      await tx.deadlines.cancel(agent.id, 'presence_grace');
      const current = await tx.agent(agent.id);
      if (!current) throw new Error(`agent ${agent.id} vanished`);
      const changed = await tx.setAgentConnected(current, true);
      // A tab of an agent already connected: announced to the new tab all the same.
      if (!changed) tx.publish({ type: 'agentStatusChanged', status: toAgentStatus(current), from: current.state });
      return changed ?? current;
    });
  }

  /**
   * Marks the agent's last connection lost (no offers meanwhile) and starts their grace period
   * (PRESENCE_GRACE_SECONDS), in one transaction; whether it was connected.
   */
  disconnect(agentId: string): Promise<boolean> {
    return this.markDisconnected(agentId, 'restart');
  }

  /**
   * Like {@link disconnect} for an agent found without a socket at start-up: a grace period
   * already running keeps its end.
   */
  disconnectFound(agentId: string): Promise<boolean> {
    return this.markDisconnected(agentId, 'keep');
  }

  private async markDisconnected(agentId: string, grace: 'restart' | 'keep'): Promise<boolean> {
    return this.ledger.run(async (tx) => {
      const row = await tx.agent(agentId);
      if (!row || !(await tx.setAgentConnected(row, false))) return false;
      const endsAt = secondsAfter(tx.now, this.config.calls.presenceGraceSeconds);
      if (grace === 'restart') await tx.deadlines.schedule('presence_grace', agentId, endsAt);
      else await tx.deadlines.scheduleIfAbsent('presence_grace', agentId, endsAt);
      return true;
    });
  }

  /**
   * Marks an agent who has a live socket connected again (after a disconnect that raced a new
   * tab) and ends their grace period; the row if it changed, else undefined.
   */
  async markConnected(agentId: string): Promise<AgentPresenceRow | undefined> {
    const row = await this.ledger.run(async (tx) => {
      // The agent's row before the deadline, the order of every transaction that changes both
      // (connect, disconnect): taken the other way round, two of them waited for each other
      // (PostgreSQL: "deadlock detected" as a tab connected while another's disconnect ran).
      const changed = await markAgentConnected(tx, agentId);
      await tx.deadlines.cancel(agentId, 'presence_grace');
      return changed;
    });
    return row ?? undefined;
  }

  /** Moves the agent in a ledger transaction of its own; the row after the move, or null. */
  async move(agentId: string, move: AgentMove): Promise<AgentPresenceRow | null> {
    return this.ledger.run((tx) => tx.moveAgent(agentId, move));
  }

  /**
   * Connected Available agents, for routing: all of them, or the `limit` idle longest (ties by
   * id, the order routing picks them in).
   */
  async offerable(limit?: number): Promise<RoutingAgent[]> {
    const values = ['available', 1, ...(limit === undefined ? [] : [limit])];
    const { rows } = await runPrepared(this.db, `presence.offerable:${limit === undefined ? 'all' : 'first'}`, values, ([available, connected, first]) => {
      const query = this.db.selectFrom('agent_presence').select(['agent_id', 'idle_since']).where('state', '=', available as AgentState).where('connected', '=', connected as number);
      return limit === undefined ? query : query.orderBy('idle_since').orderBy('agent_id').limit(first as number);
    });
    return rows.map(routingAgentOf);
  }

  /**
   * In the transaction placing call `callId`: the longest-idle free agent (connected, Available;
   * ties by id), unless another call is queued (it comes first: routing will place this one
   * after it) — one statement, where it took three (is anyone queued, who is free, the agent's
   * row). On PostgreSQL the agent's row is claimed for the rest of the transaction and agents
   * another transaction has claimed are skipped (`for no key update skip locked`, the lock the
   * row's update takes anyway; of `agent_presence` only): calls placed at the same moment take
   * the longest-idle agents one each, instead of all picking the first, one winning and the
   * rest left queued. SQLite runs one transaction at a time: nothing to skip.
   */
  async freeForPlacement(callId: string, db: Kysely<Database>): Promise<AgentPresenceRow | undefined> {
    const claim = db.getExecutor().adapter instanceof PostgresAdapter;
    const { rows } = await runPrepared(db, 'presence.freeForPlacement', ['available', 1, 'queued', callId, 1], ([available, connected, queued, id, one]) => {
      const query = db
        .selectFrom('agent_presence')
        .selectAll('agent_presence')
        .where('state', '=', available as AgentState)
        .where('connected', '=', connected as number)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('calls')
                .select('calls.id')
                .where('calls.outcome', 'is', null)
                .where('calls.state', '=', queued as CallState)
                .where('calls.id', '<>', id as string),
            ),
          ),
        )
        .orderBy('idle_since')
        .orderBy('agent_id')
        .limit(one as number);
      return claim ? query.forNoKeyUpdate('agent_presence').skipLocked() : query;
    });
    return rows[0];
  }

  /** Whether any agent is connected and working (Available, ringing, on a call or in wrap-up); `db`: a ledger transaction's. */
  async anyStaffed(db: Kysely<Database> = this.db): Promise<boolean> {
    const working: AgentState[] = ['available', 'ringing', 'on_call', 'wrap_up'];
    const { rows } = await runPrepared(db, 'presence.anyStaffed', [1, ...working, 1], ([connected, ...rest]) =>
      db
        .selectFrom('agent_presence')
        .select('agent_id')
        .where('connected', '=', connected as number)
        .where('state', 'in', rest.slice(0, working.length) as AgentState[])
        .limit(rest[working.length] as number),
    );
    return rows.length > 0;
  }

  /** Agents marked connected, for the start-up check against live sockets. */
  async markedConnected(): Promise<string[]> {
    const rows = await this.db.selectFrom('agent_presence').select('agent_id').where('connected', '=', 1).execute();
    return rows.map((r) => r.agent_id);
  }
}

/** A connected Available agent as routing sees them (`offerable`, `freeForPlacement`). */
export function routingAgentOf(row: Pick<AgentPresenceRow, 'agent_id' | 'idle_since'>): RoutingAgent {
  return { agentId: row.agent_id, state: 'available', connected: true, idleSince: row.idle_since };
}

/** In a ledger transaction: marks the agent (if `userId` is one) connected; their row if that changed it, else null. */
export async function markAgentConnected(tx: LedgerTransaction, userId: string): Promise<AgentPresenceRow | null> {
  const current = await tx.agent(userId);
  return current ? tx.setAgentConnected(current, true) : null;
}
