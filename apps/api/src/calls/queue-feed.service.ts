import { Injectable, Logger } from '@nestjs/common';
import { METRIC_DEFINITIONS, queueSnapshotOf, type QueueReport, type QueueSnapshot } from '@switchboard/call-domain';
import type { AppSocket } from '../realtime/app-socket';
import { CallRecords } from './call-records';
import { CoalescedTask } from './coalesced-task';
import { SocketRooms } from './socket-rooms';

/**
 * Keeps supervisors' and agents' view of the queue current: after any change of the calls
 * waiting or in progress, {@link announce} sends `queueChanged` to every supervisor and agent
 * (agents see calls waiting and the longest wait on their desk), read from the database
 * (the truth, whichever node made the change). Changes made in the same tick are sent once;
 * a change made while a snapshot is being read is followed by another read, so the last
 * change is never lost.
 */
@Injectable()
export class QueueFeed {
  private readonly logger = new Logger('QueueFeed');
  private readonly sending = new CoalescedTask(
    async () => void this.rooms.toQueueWatchers().emit('queueChanged', await this.snapshot()),
    (err) => this.logger.error({ msg: 'queue snapshot failed', error: String(err) }),
  );

  constructor(
    private readonly records: CallRecords,
    private readonly rooms: SocketRooms,
  ) {}

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

  /** Resolves once every announced change has been sent (tests, shutdown). */
  settled(): Promise<void> {
    return this.sending.settled();
  }
}
