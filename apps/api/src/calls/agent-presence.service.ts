import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Kysely, Updateable } from 'kysely';
import { canAgentMove, type AgentState, type AgentStateActor, type AgentStatus, type RoutingAgent, type SessionUser } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { AgentPresenceRow, AgentPresenceTable, Database } from '../database/schema';
import { SocketRooms } from './socket-rooms';

/** One change of an agent's state. */
export interface AgentMove {
  to: AgentState;
  by: AgentStateActor;
  /** Why, for `agent_state_changes` (e.g. "declined", "rang out", "connection lost"). */
  reason: string;
  /** The user who asked for it; null for the system. */
  byUserId?: string | null;
  /** Only if the agent is in one of these states (on top of the allowed moves). */
  onlyFrom?: readonly AgentState[];
  /** Only if the agent's current call is this one. */
  callId?: string;
  /** Only if at least one of the agent's tabs is connected. */
  requireConnected?: boolean;
  /** Other columns to set with the move. */
  set?: Updateable<AgentPresenceTable>;
}

/** The public view of a presence row. */
export function toAgentStatus(row: AgentPresenceRow): AgentStatus {
  return {
    agentId: row.agent_id,
    displayName: row.display_name,
    state: row.state,
    since: row.since,
    connected: row.connected === 1,
    callId: row.call_id,
    wrapUpEndsAt: row.wrap_up_ends_at,
  };
}

/**
 * Agents' presence, kept in `agent_presence` (the server's truth, per agent, so two tabs
 * never flip each other's state). Every change is a conditional UPDATE checked against the
 * allowed moves, is recorded in `agent_state_changes`, and is announced to the agent's tabs
 * and to supervisors.
 */
@Injectable()
export class AgentPresence {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly rooms: SocketRooms,
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

  /** Marks the agent connected (a new agent starts Offline) and announces it. */
  async connect(agent: SessionUser): Promise<AgentPresenceRow> {
    const now = new Date().toISOString();
    await this.db
      .insertInto('agent_presence')
      .values({ agent_id: agent.id, display_name: agent.displayName, state: 'offline', since: now, connected: 1, call_id: null, idle_since: now, wrap_up_ends_at: null })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet({ connected: 1, display_name: agent.displayName }))
      .execute();
    return this.publish(agent.id);
  }

  /** Marks the agent's connection lost (no offers meanwhile); whether it was connected. */
  async disconnect(agentId: string): Promise<boolean> {
    const result = await this.db.updateTable('agent_presence').set({ connected: 0 }).where('agent_id', '=', agentId).where('connected', '=', 1).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await this.publish(agentId);
    return true;
  }

  /**
   * Marks an agent who has a live socket connected again (after a disconnect that raced a new
   * tab); the row if it changed, else undefined.
   */
  async markConnected(agentId: string): Promise<AgentPresenceRow | undefined> {
    const result = await this.db.updateTable('agent_presence').set({ connected: 1 }).where('agent_id', '=', agentId).where('connected', '=', 0).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.publish(agentId);
  }

  /**
   * Moves the agent if the move is allowed from their current state and the conditions hold;
   * the row after the move, or null if it did not happen (a race or a forbidden move).
   */
  async move(agentId: string, move: AgentMove): Promise<AgentPresenceRow | null> {
    const row = await this.get(agentId);
    if (!row || !canAgentMove(row.state, move.to, move.by)) return null;
    if (move.onlyFrom && !move.onlyFrom.includes(row.state)) return null;
    if (move.callId !== undefined && row.call_id !== move.callId) return null;
    const now = new Date().toISOString();
    let query = this.db
      .updateTable('agent_presence')
      .set({ ...defaultsFor(row.state, move.to, now), ...move.set, state: move.to, since: now })
      .where('agent_id', '=', agentId)
      .where('state', '=', row.state);
    if (move.callId !== undefined) query = query.where('call_id', '=', move.callId);
    if (move.requireConnected) query = query.where('connected', '=', 1);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return null;
    await this.db
      .insertInto('agent_state_changes')
      .values({ id: randomUUID(), agent_id: agentId, at: now, from_state: row.state, to_state: move.to, reason: move.reason, by_user_id: move.byUserId ?? null })
      .execute();
    return this.publish(agentId);
  }

  /** Connected Available agents, for routing. */
  async offerable(): Promise<RoutingAgent[]> {
    const rows = await this.db.selectFrom('agent_presence').selectAll().where('state', '=', 'available').where('connected', '=', 1).execute();
    return rows.map((r) => ({ agentId: r.agent_id, state: r.state, connected: true, idleSince: r.idle_since }));
  }

  /** Whether any agent is connected and working (Available, ringing, on a call or in wrap-up). */
  async anyStaffed(): Promise<boolean> {
    const row = await this.db
      .selectFrom('agent_presence')
      .select('agent_id')
      .where('connected', '=', 1)
      .where('state', 'in', ['available', 'ringing', 'on_call', 'wrap_up'])
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Agents marked connected, for the start-up check against live sockets. */
  async markedConnected(): Promise<string[]> {
    const rows = await this.db.selectFrom('agent_presence').select('agent_id').where('connected', '=', 1).execute();
    return rows.map((r) => r.agent_id);
  }

  /** Announces the agent's current status to their tabs and to supervisors. */
  async publish(agentId: string): Promise<AgentPresenceRow> {
    const row = await this.db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirstOrThrow();
    const status = toAgentStatus(row);
    this.rooms.toUser(agentId).emit('agentStatusChanged', status);
    this.rooms.toSupervisors().emit('agentStatusChanged', status);
    return row;
  }
}

/** Columns every move to `to` sets: the call link, the wrap-up end, and the idle clock. */
function defaultsFor(from: AgentState, to: AgentState, now: string): Updateable<AgentPresenceTable> {
  switch (to) {
    case 'available':
      // Back from declining or a withdrawn offer: still idle since before, keeps their turn.
      return from === 'ringing' ? { call_id: null, wrap_up_ends_at: null } : { call_id: null, wrap_up_ends_at: null, idle_since: now };
    case 'ringing':
    case 'on_call':
      return { wrap_up_ends_at: null };
    case 'wrap_up':
      return {};
    default:
      return { call_id: null, wrap_up_ends_at: null };
  }
}
