import { Injectable, Logger } from '@nestjs/common';

/**
 * Whether this node is draining: it was asked to stop (SIGTERM), so it tells load balancers it
 * is not ready, takes no new calls, and leaves its deadlines and outbox rows to the other
 * nodes while the sockets it still holds move elsewhere. Draining never ends: the process exits.
 */
@Injectable()
export class NodeDrainState {
  private readonly logger = new Logger('NodeDrain');
  private since: Date | null = null;

  /** Whether the node is draining. */
  get draining(): boolean {
    return this.since !== null;
  }

  /** Marks the node as draining (once; later calls change nothing). */
  begin(): void {
    if (this.since) return;
    this.since = new Date();
    this.logger.log({ msg: 'draining: not ready, no new calls' });
  }
}
