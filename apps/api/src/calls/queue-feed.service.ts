import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { METRIC_DEFINITIONS, queueSnapshotOf, type QueueReport, type QueueSnapshot } from '@switchboard/call-domain';
import type { AppSocket } from '../realtime/app-socket';
import { CallRecords } from './call-records';
import { CoalescedTask } from './coalesced-task';
import { SocketRooms } from './socket-rooms';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * The least time between two snapshots a node sends supervisors: a board four times a second
 * is current enough, and under load each snapshot is one message to every supervisor.
 */
export const QUEUE_FEED_SPACING_MS = 250;

/**
 * The least time between two snapshots a node sends agents. An agent's desk shows the calls
 * waiting and the longest wait, whose clock ticks in the browser from `oldestQueuedAt`, so once
 * a second is current enough; each snapshot is one message to every agent (hundreds).
 */
export const AGENT_QUEUE_SPACING_MS = 1000;

/** A snapshot, and the order in which its read started (a later read is at least as new). */
interface QueueRead {
  readonly seq: number;
  readonly snapshot: QueueSnapshot;
}

/** What an agent's desk shows of a snapshot: the calls waiting and since when the longest waits. */
function waitingOf(snapshot: QueueSnapshot): string {
  return `${snapshot.callsWaiting}/${snapshot.oldestQueuedAt}`;
}

/** Resolves in a later macrotask: the event loop handles the I/O (sockets' messages) that arrived meanwhile. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Keeps supervisors' and agents' view of the queue current: after any change of the calls
 * waiting or in progress, {@link announce} reads `queueChanged` from the database (the truth,
 * whichever node made the change) and sends it to every supervisor, and to every agent when
 * what an agent's desk shows changed: the calls waiting and the longest wait
 * (`oldestQueuedAt`), not the calls in progress (most changes, a call answered or ended, only
 * move those).
 *
 * Supervisors: changes made in the same tick, or within {@link QUEUE_FEED_SPACING_MS} of the
 * last snapshot, are read and sent once; a change made while a snapshot is being read is
 * followed by another read, so the last change is never lost. A snapshot whose figures are
 * those this node sent last is not sent again.
 *
 * Agents: with hundreds of agents a snapshot is hundreds of socket writes (and their write
 * callbacks), 10–20 ms of the event loop at 400 agents, during which every signaling message
 * waits. So agents get at most one snapshot per {@link AGENT_QUEUE_SPACING_MS}: the newest
 * read whose desk figures differ from those agents were sent last, sent at the end of the
 * spacing (a trailing send, so the last change always reaches them). And it is sent one slice
 * room at a time (`SocketRooms.toAgentSlices`), each slice in its own macrotask, so that the
 * messages that arrive meanwhile are handled between slices. The slices go through the
 * Socket.IO adapter like any broadcast, so with REDIS_URL every node's agents get them and a
 * socket that recovers its session gets what it missed (another node writes the slices that
 * one read of the Redis stream brings it in one go: spread, not always one per macrotask).
 * A snapshot's slices are all sent before the next snapshot's first, and a newer snapshot is
 * never followed by an older one: reads are numbered, the agents' send takes the newest, and
 * a snapshot read for a socket that just connected (which it is sent at once) replaces an
 * older one still waiting for the agents' spacing.
 *
 * With several nodes, where another may have sent other figures since, nothing is skipped:
 * every snapshot goes to the supervisors, and the newest to the agents once per spacing.
 */
@Injectable()
export class QueueFeed implements BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueFeed');
  private readonly sending = new CoalescedTask(
    () => this.send(),
    (err) => this.logger.error({ msg: 'queue snapshot failed', error: String(err) }),
    QUEUE_FEED_SPACING_MS,
  );
  private readonly sendingAgents = new CoalescedTask(
    () => this.sendAgents(),
    (err) => this.logger.error({ msg: "agents' queue snapshot failed", error: String(err) }),
    AGENT_QUEUE_SPACING_MS,
  );
  /** How many snapshot reads have started. */
  private reads = 0;
  /** The figures of the snapshot this node sent supervisors last. */
  private told: string | null = null;
  /** What an agent's desk shows ({@link waitingOf}) of the snapshot this node sent agents last. */
  private toldAgents: string | null = null;
  /** The snapshot the agents get at the end of their spacing (null: none is due). */
  private forAgents: QueueRead | null = null;
  /** The agents' snapshot whose slices are being sent, and when they all are (null: none). */
  private sendingSlices: { seq: number; sent: Promise<void> } | null = null;
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
    const read = await this.read();
    // The socket is in its rooms already: an older snapshot still due to the agents must not
    // follow this one, nor the rest of an older one's slices (this one goes after them).
    while (this.sendingSlices && this.sendingSlices.seq < read.seq) await this.sendingSlices.sent;
    if (this.forAgents && this.forAgents.seq < read.seq) this.forAgents = read;
    socket.emit('queueChanged', read.snapshot);
  }

  private async read(): Promise<QueueRead> {
    const seq = ++this.reads;
    return { seq, snapshot: await this.snapshot() };
  }

  private async send(): Promise<void> {
    const read = await this.read();
    const { snapshot } = read;
    // The waiting time is reckoned by the boards from `oldestQueuedAt`: same figures, same board.
    const waiting = waitingOf(snapshot);
    const figures = `${waiting}/${snapshot.callsInProgress}`;
    if (this.skipRepeats && figures === this.told) return;
    this.told = figures;
    this.rooms.toSupervisors().emit('queueChanged', snapshot);
    const agentsWillSee = this.forAgents ? waitingOf(this.forAgents.snapshot) : this.toldAgents;
    if (this.skipRepeats && waiting === agentsWillSee) return;
    if (this.forAgents && this.forAgents.seq > read.seq) return;
    this.forAgents = read;
    this.sendingAgents.announce();
  }

  /** Sends the snapshot due to the agents, one slice room per macrotask. */
  private async sendAgents(): Promise<void> {
    const due = this.forAgents;
    if (!due) return;
    this.forAgents = null;
    this.toldAgents = waitingOf(due.snapshot);
    const sent = this.sendSlices(due.snapshot);
    this.sendingSlices = { seq: due.seq, sent };
    try {
      await sent;
    } finally {
      this.sendingSlices = null;
    }
  }

  private async sendSlices(snapshot: QueueSnapshot): Promise<void> {
    const slices = this.rooms.toAgentSlices();
    for (let i = 0; i < slices.length; i++) {
      if (i > 0) await nextMacrotask();
      slices[i].emit('queueChanged', snapshot);
    }
  }

  /** Sends the last change (supervisors at most one spacing later, agents at most one agents' spacing later) before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every announced change has been sent, to supervisors and to every agents' slice (tests, shutdown). */
  async settled(): Promise<void> {
    // A supervisors' snapshot may make one due to the agents, sent after it; a change announced
    // while the agents' waits out its spacing runs the supervisors' again.
    do {
      await this.sending.settled();
      await this.sendingAgents.settled();
    } while (this.sending.busy || this.sendingAgents.busy);
  }
}
