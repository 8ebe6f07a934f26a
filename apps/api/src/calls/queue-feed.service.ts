import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { METRIC_DEFINITIONS, queueSnapshotOf, type QueueReport, type QueueSnapshot } from '@switchboard/call-domain';
import type { AppSocket } from '../realtime/app-socket';
import { CallRecords } from './call-records';
import { CoalescedTask } from './coalesced-task';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * The least time between two snapshots a node sends: a board four times a second is current
 * enough, and under load each snapshot is one message to every supervisor (and, when the
 * calls waiting changed, to every agent).
 */
export const QUEUE_FEED_SPACING_MS = 250;

/**
 * Keeps supervisors' and agents' view of the queue current: after any change of the calls
 * waiting or in progress, {@link announce} sends `queueChanged`, read from the database (the
 * truth, whichever node made the change), to every supervisor, and to every agent when what
 * an agent's desk shows changed: the calls waiting and the longest wait (`oldestQueuedAt`),
 * not the calls in progress. With hundreds of agents a snapshot is hundreds of socket writes
 * on the event loop, and most changes (a call answered, ended) only move the calls in
 * progress. Changes made in the same tick, or within {@link QUEUE_FEED_SPACING_MS} of the last
 * snapshot, are sent once; a change made while a snapshot is being read is followed by
 * another read, so the last change is never lost. A snapshot whose figures are those this node
 * sent last is not sent again (with several nodes, where another may have sent others since,
 * every snapshot is sent to everyone).
 */
@Injectable()
export class QueueFeed implements BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueFeed');
  private readonly sending = new CoalescedTask(
    () => this.send(),
    (err) => this.logger.error({ msg: 'queue snapshot failed', error: String(err) }),
    QUEUE_FEED_SPACING_MS,
  );
  /** The figures of the snapshot this node sent supervisors last. */
  private told: string | null = null;
  /** The figures an agent's desk shows (calls waiting, oldest wait) of the snapshot this node sent agents last. */
  private toldAgents: string | null = null;
  /** With several nodes another node may have sent other figures since: then nothing is skipped. */
  private readonly skipRepeats: boolean;

  constructor(
    private readonly records: CallRecords,
    private readonly rooms: SocketRooms,
    @InjectConfig() config: AppConfig,
  ) {
    this.skipRepeats = !config.redisUrl;
  }

  /** The queue right now. */
  async snapshot(): Promise<QueueSnapshot> {
    // A callback ringing at a student waits for nobody in the queue; once answered it is in progress.
    const live = (await this.records.active()).filter((c) => c.direction === 'inbound' || c.state !== 'ringing');
    return queueSnapshotOf(live.map((c) => ({ state: c.state, queuedAt: c.queued_at })), new Date());
  }

  /** The queue right now with what its figures mean (`GET /api/queue`). */
  async report(): Promise<QueueReport> {
    const { callsWaiting, longestCurrentWaitSeconds } = METRIC_DEFINITIONS;
    return { ...(await this.snapshot()), definitions: { callsWaiting, longestCurrentWaitSeconds } };
  }

  /** The queue changed: supervisors and agents get a fresh snapshot (returns at once; sending is in the background). */
  announce(): void {
    this.sending.announce();
  }

  /** Sends the queue to one supervisor's or agent's socket (on connect). */
  async sendTo(socket: AppSocket): Promise<void> {
    socket.emit('queueChanged', await this.snapshot());
  }

  private async send(): Promise<void> {
    const snapshot = await this.snapshot();
    // The waiting time is reckoned by the boards from `oldestQueuedAt`: same figures, same board.
    const waiting = `${snapshot.callsWaiting}/${snapshot.oldestQueuedAt}`;
    const figures = `${waiting}/${snapshot.callsInProgress}`;
    if (!this.skipRepeats) {
      this.rooms.toQueueWatchers().emit('queueChanged', snapshot);
      return;
    }
    if (figures === this.told) return;
    const agentsToo = waiting !== this.toldAgents;
    this.told = figures;
    this.toldAgents = waiting;
    (agentsToo ? this.rooms.toQueueWatchers() : this.rooms.toSupervisors()).emit('queueChanged', snapshot);
  }

  /** Sends the last change (at most one spacing later) before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every announced change has been sent (tests, shutdown). */
  settled(): Promise<void> {
    return this.sending.settled();
  }
}
