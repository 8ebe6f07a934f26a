import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import { NODE_DEAD_AFTER_HEARTBEATS, type AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { PresenceKeeper } from './presence-keeper.service';

/**
 * Which API nodes are alive, kept in `api_nodes`: each node refreshes its row's heartbeat
 * every NODE_HEARTBEAT_MS. A node that died (SIGKILL, lost machine) cannot say its sockets
 * are gone, so their users would stay connected in `agent_presence` for good and keep being
 * offered calls. After {@link NODE_DEAD_AFTER_HEARTBEATS} missed heartbeats any live node
 * claims the dead one's row (a conditional update: one node wins) and reconciles presence
 * against the sockets live on every node ({@link PresenceKeeper.reconcile}): each agent or
 * caller left without a socket gets the usual grace period (a `presence_grace` deadline), at
 * whose end the agent is Offline, a call ringing at them goes back in line, and a caller's
 * call is abandoned (or ends, in progress). A claim left by a node that died while handling
 * it goes stale the same way and is taken over; the row is deleted once handled.
 */
@Injectable()
export class NodeLiveness implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NodeLiveness');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly startedAt = new Date().toISOString();

  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly outbox: LedgerOutbox,
    private readonly keeper: PresenceKeeper,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** This node's id, as in `api_nodes`, deadline and outbox claims. */
  get nodeId(): string {
    return this.outbox.nodeId;
  }

  /** Beats once, then every NODE_HEARTBEAT_MS, each time also looking for dead peers. */
  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.tick(), this.config.calls.nodeHeartbeatMs);
    this.timer.unref();
  }

  /**
   * Stops beating. The row stays and goes stale: if this node's users do not reconnect to
   * another node, a live node reconciles their presence as for a node that died.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One heartbeat and one look for dead peers (also what the timer does). */
  tick(): Promise<void> {
    this.running ??= this.beatAndLook().finally(() => (this.running = null));
    return this.running;
  }

  private async beatAndLook(): Promise<void> {
    try {
      await this.beat();
      await this.handleDeadPeers(new Date());
    } catch (err) {
      this.logger.error({ msg: 'node heartbeat failed', error: String(err) });
    }
  }

  /** Refreshes this node's heartbeat (and takes back its row if a peer thought it dead). */
  private async beat(): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insertInto('api_nodes')
      .values({ id: this.nodeId, started_at: this.startedAt, heartbeat_at: now, claimed_by: null, claimed_at: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, claimed_by: null, claimed_at: null }))
      .execute();
  }

  /** Claims each peer silent too long, one at a time, and reconciles presence once for all of them. */
  private async handleDeadPeers(now: Date): Promise<void> {
    const staleBefore = new Date(now.getTime() - this.config.calls.nodeHeartbeatMs * NODE_DEAD_AFTER_HEARTBEATS).toISOString();
    const dead = await this.db
      .selectFrom('api_nodes')
      .select(['id', 'heartbeat_at'])
      .where('id', '!=', this.nodeId)
      .where('heartbeat_at', '<', staleBefore)
      .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
      .execute();
    const claimed: string[] = [];
    for (const node of dead) {
      const result = await this.db
        .updateTable('api_nodes')
        .set({ claimed_by: this.nodeId, claimed_at: now.toISOString() })
        .where('id', '=', node.id)
        .where('heartbeat_at', '=', node.heartbeat_at)
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) claimed.push(node.id);
    }
    if (claimed.length === 0) return;
    this.logger.warn({ msg: 'API nodes stopped beating; the presence of their sockets gets its grace period', nodes: claimed });
    await this.keeper.reconcile();
    // Deleted only if still ours and still silent (a node that was only slow has beaten since).
    await this.db.deleteFrom('api_nodes').where('id', 'in', claimed).where('claimed_by', '=', this.nodeId).execute();
  }
}
