import { Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { NodeDrainState } from '../health/node-drain-state';
import { CallGateway } from './call.gateway';
import { DeadlineWorker } from './deadline-worker.service';
import { Deadlines } from './deadlines';
import { LedgerOutbox } from './ledger/ledger-outbox';
import { SocketRooms } from './socket-rooms';

/**
 * Takes a node out of service before it stops (SIGTERM), without losing anything:
 * 1. readiness answers 503 and `requestCall` is refused with `unavailable`, so load balancers
 *    and callers go to another node;
 * 2. it stops claiming deadlines and undelivered outbox rows, and gives back the deadlines it
 *    had claimed but not run, so another node runs them on its next poll;
 * 3. for DRAIN_SECONDS the sockets it holds keep working (calls in progress go on signalling);
 * 4. then it closes them, so the portal reconnects to another node (the call resumes there),
 *    and waits until their disconnections and the ledger events they caused are handled.
 * The process then closes the app and exits (see `main.ts`).
 */
@Injectable()
export class NodeDrain {
  private readonly logger = new Logger('NodeDrain');

  constructor(
    private readonly state: NodeDrainState,
    private readonly worker: DeadlineWorker,
    private readonly deadlines: Deadlines,
    private readonly outbox: LedgerOutbox,
    private readonly rooms: SocketRooms,
    private readonly gateway: CallGateway,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Drains the node (see the class); resolves when its sockets are closed and handled. */
  async drain(): Promise<void> {
    this.state.begin();
    await this.worker.stopClaiming();
    const released = await this.deadlines.releaseClaims(this.outbox.nodeId);
    this.logger.log({ msg: 'stopped claiming deadlines', released, socketsCloseInSeconds: this.config.drainSeconds });
    await new Promise((resolve) => setTimeout(resolve, this.config.drainSeconds * 1000));
    // This node's sockets only: the Redis adapter would otherwise close every node's.
    this.rooms.io.local.disconnectSockets(true);
    await this.gateway.disconnectionsHandled();
    await this.outbox.settled();
    this.logger.log({ msg: 'sockets closed; ready to stop' });
  }
}
