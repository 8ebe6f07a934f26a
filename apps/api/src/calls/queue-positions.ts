import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { estimateWaitSeconds, type QueuePosition } from '@switchboard/call-domain';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence } from './agent-presence.service';
import { CallRecords, RECENT_ANSWERS, type RecentAnswer } from './call-records';
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
 * With several nodes, how old the recent queue times may be before they are read again: the
 * calls another node answers are not published to this one.
 */
export const RECENT_QUEUE_TIMES_MAX_AGE_MS = 1_000;

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

  /**
   * Whether this is the only node: then no other node tells callers anything (repeats are
   * skipped) or answers calls (the recent queue times are kept, not read again).
   */
  private readonly oneNode: boolean;
  /**
   * The queue times of the last {@link RECENT_ANSWERS} inbound calls answered, newest first
   * (what the wait estimates are made from), and when they were read: read once, then kept
   * by the accepts the ledger publishes ({@link answered}) instead of read for every call
   * placed. Read again when older than {@link RECENT_QUEUE_TIMES_MAX_AGE_MS} with several nodes.
   */
  private recent: { answers: readonly RecentAnswer[]; readAt: number } | null = null;
  /** Accepts published so far: a read during which one was published may miss it, and is not kept. */
  private accepts = 0;

  constructor(
    private readonly records: CallRecords,
    private readonly presence: AgentPresence,
    private readonly rooms: SocketRooms,
    @InjectConfig() config: AppConfig,
  ) {
    this.oneNode = !config.redisUrl;
  }

  /**
   * Where a call just placed (at `queuedAt`) stands while agents are staffed, or null if it is
   * not waiting: its place counted on the index of waiting calls and the recent queue times read
   * side by side, not every waiting call read to find it.
   */
  async ofPlaced(callId: string, queuedAt: string): Promise<QueuePosition | null> {
    const [place, recent] = await Promise.all([this.records.placeInLine(callId, queuedAt), this.recentQueueMs()]);
    return place === null ? null : positionOf(callId, place, recent, true);
  }

  /**
   * A call was answered (the ledger's `callAccepted`): one of the recent queue times, in its
   * place by when — once, however often its event is delivered (a dead node's are delivered
   * again) and whether or not the last read already had it.
   */
  answered(answer: RecentAnswer): void {
    this.accepts++;
    const kept = this.recent;
    if (!kept || kept.answers.some((a) => a.callId === answer.callId)) return;
    // ISO timestamps: their text order is their time order.
    const answers = [...kept.answers, answer].sort((a, b) => b.answeredAt.localeCompare(a.answeredAt));
    this.recent = { answers: answers.slice(0, RECENT_ANSWERS), readAt: kept.readAt };
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

  /** The recent queue times ({@link recent}): as kept, else read (and kept if no accept was published meanwhile). */
  private async recentQueueMs(): Promise<number[]> {
    const kept = this.recent;
    let answers = kept && (this.oneNode || Date.now() - kept.readAt < RECENT_QUEUE_TIMES_MAX_AGE_MS) ? kept.answers : null;
    if (!answers) {
      const acceptsBefore = this.accepts;
      answers = await this.records.recentAnswers();
      if (this.accepts === acceptsBefore) this.recent = { answers, readAt: Date.now() };
    }
    return answers.map((a) => a.queueMs);
  }

  private async send(): Promise<void> {
    const all = await this.all();
    const waiting = new Set<string>();
    for (const { callerId, position } of all) {
      waiting.add(position.callId);
      const said = `${position.position}/${position.estimatedWaitSeconds}/${position.staffed}`;
      if (this.oneNode && this.told.get(position.callId) === said) continue;
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
    const [recent, staffed] = await Promise.all([this.recentQueueMs(), this.presence.anyStaffed()]);
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
