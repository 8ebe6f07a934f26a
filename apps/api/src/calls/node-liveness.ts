import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { NODE_DEAD_AFTER_HEARTBEATS, type AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { ApiNodes } from './api-nodes';
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
  private readonly startedAt = new Date();

  constructor(
    private readonly nodes: ApiNodes,
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

  /** Refreshes this node's heartbeat. */
  private beat(): Promise<void> {
    return this.nodes.beat(this.nodeId, this.startedAt, new Date());
  }

  /** Claims each peer silent too long and reconciles presence once for all of them. */
  private async handleDeadPeers(now: Date): Promise<void> {
    const claimed = await this.nodes.claimSilent(this.nodeId, now, this.config.calls.nodeHeartbeatMs * NODE_DEAD_AFTER_HEARTBEATS);
    if (claimed.length === 0) return;
    this.logger.warn({ msg: 'API nodes stopped beating; the presence of their sockets gets its grace period', nodes: claimed });
    // If this fails, the claims go stale and a live node (this one, or another) tries again.
    await this.keeper.reconcile();
    await this.nodes.forget(this.nodeId, claimed);
  }
}
