import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { estimateWaitSeconds, type QueuePosition } from '@switchboard/call-domain';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence } from './agent-presence.service';
import { CallRecords } from './call-records';
import { CoalescedTask } from './coalesced-task';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * The least time between two reads of every waiting caller's place: under load the queue
 * changes with every call placed, offered or taken, and each read is of every waiting call.
 */
export const QUEUE_POSITIONS_SPACING_MS = 250;

/**
 * Tells waiting callers where they stand (`queueUpdated`): after a change of the queue, each
 * caller whose place or estimate changed gets the new one — only those, so a queue change
 * costs messages for the callers it moved, not for every caller waiting. (With several nodes,
 * where another node may have told a caller something else since, every waiting caller is told.) Changes of one tick,
 * or within {@link QUEUE_POSITIONS_SPACING_MS} of the last read, are read once; a change during a read is followed by another read.
 */
@Injectable()
export class QueuePositions implements BeforeApplicationShutdown {
  private readonly logger = new Logger('QueuePositions');
  /** What each waiting caller was last told, by call (from this node). */
  private readonly told = new Map<string, string>();
  private readonly sending = new CoalescedTask(
    () => this.send(),
    (err) => this.logger.error({ msg: 'queue positions failed', error: String(err) }),
    QUEUE_POSITIONS_SPACING_MS,
  );

  /** With several nodes another node may have told a caller something since: then nothing is skipped. */
  private readonly skipRepeats: boolean;

  constructor(
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly rooms: SocketRooms,
    @InjectConfig() config: AppConfig,
  ) {
    this.skipRepeats = !config.redisUrl;
  }

  /**
   * Where a call just placed (at `queuedAt`) stands while agents are staffed, or null if it is
   * not waiting: its place counted on the index of waiting calls and the recent queue times read
   * side by side, not every waiting call read to find it.
   */
  async ofPlaced(callId: string, queuedAt: string): Promise<QueuePosition | null> {
    const [place, recent] = await Promise.all([this.records.placeInLine(callId, queuedAt), this.records.recentQueueMs()]);
    return place === null ? null : positionOf(callId, place, recent, true);
  }

  /** Sends a student's socket where each of their waiting calls stands (on connect). */
  async sendTo(socket: AppSocket, callIds: readonly string[]): Promise<void> {
    if (callIds.length === 0) return;
    for (const { position } of await this.all()) if (callIds.includes(position.callId)) socket.emit('queueUpdated', position);
  }

  /** The queue changed: callers whose place or estimate moved are told (in the background). */
  announce(): void {
    this.sending.announce();
  }

  /** Tells the last change (at most one spacing later) before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every announced change has been sent (tests, shutdown). */
  settled(): Promise<void> {
    return this.sending.settled();
  }

  private async send(): Promise<void> {
    const all = await this.all();
    const waiting = new Set<string>();
    for (const { callerId, position } of all) {
      waiting.add(position.callId);
      const said = `${position.position}/${position.estimatedWaitSeconds}/${position.staffed}`;
      if (this.skipRepeats && this.told.get(position.callId) === said) continue;
      this.told.set(position.callId, said);
      this.rooms.toUser(callerId).emit('queueUpdated', position);
    }
    for (const callId of this.told.keys()) if (!waiting.has(callId)) this.told.delete(callId);
  }

  /**
   * Every waiting call's place. With no agent staffed nobody will answer until one comes back,
   * so there is no wait to estimate: callers are told that instead of a guess from history.
   */
  private async all(): Promise<{ callerId: string; position: QueuePosition }[]> {
    const waiting = await this.records.waiting();
    if (waiting.length === 0) return [];
    const [recent, staffed] = await Promise.all([this.records.recentQueueMs(), this.presence.anyStaffed()]);
    return waiting.map((call, index) => ({
      callerId: call.caller_id,
      position: positionOf(call.id, index + 1, recent, staffed),
    }));
  }
}

/**
 * A waiting call's place as its caller is told it. With no agent staffed nobody will answer
 * until one comes back: no estimate from history then.
 */
function positionOf(callId: string, position: number, recentQueueMs: readonly number[], staffed: boolean): QueuePosition {
  return { callId, position, estimatedWaitSeconds: staffed ? estimateWaitSeconds(recentQueueMs, position) : null, staffed };
}
