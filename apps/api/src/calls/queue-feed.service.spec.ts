import type { QueueSnapshot } from '@switchboard/call-domain';
import type { AppConfig } from '../config/config';
import type { CallRow } from '../database/schema';
import type { CallRecords } from './call-records';
import type { AppSocket } from '../realtime/app-socket';
import { AGENT_QUEUE_SPACING_MS, QUEUE_FEED_SPACING_MS, QueueFeed } from './queue-feed.service';
import { AGENT_SLICES, type SocketRooms } from './socket-rooms';

describe('QueueFeed', () => {
  let live: Pick<CallRow, 'state' | 'queued_at'>[];
  let reads: number;
  let open: () => void;
  let gate: Promise<void>;
  let sent: QueueSnapshot[];
  /** Who each snapshot went to: every queue watcher, or supervisors only. */
  let to: ('watchers' | 'supervisors')[];
  let feed: QueueFeed;

  beforeEach(() => {
    live = [];
    reads = 0;
    gate = new Promise<void>((resolve) => (open = resolve));
    sent = [];
    to = [];
    const records = {
      active: async () => {
        reads++;
        const rows = [...live];
        await gate;
        return rows;
      },
    } as unknown as CallRecords;
    slices = [];
    onSlice = () => undefined;
    feed = new QueueFeed(records, fakeRooms(), { redisUrl: null } as AppConfig);
  });

  /** Each agents' slice emit: which slice, what, when (performance.now()). */
  let slices: { slice: number; snapshot: QueueSnapshot; at: number }[];
  /** Called with each agents' slice as it is emitted. */
  let onSlice: (slice: number) => void;

  /**
   * Rooms that record each snapshot once in `sent`, and in `to` who got it: 'supervisors', or
   * 'watchers' once agents got it too (every agents' slice is recorded in `slices`).
   */
  function fakeRooms(): SocketRooms {
    const toSupervisors = () => ({
      emit: (_event: string, snapshot: QueueSnapshot) => {
        sent.push(snapshot);
        to.push('supervisors');
      },
    });
    const toAgentSlices = () =>
      Array.from({ length: AGENT_SLICES }, (_, slice) => ({
        emit: (_event: string, snapshot: QueueSnapshot) => {
          slices.push({ slice, snapshot, at: performance.now() });
          to[sent.lastIndexOf(snapshot)] = 'watchers';
          onSlice(slice);
        },
      }));
    return { toSupervisors, toAgentSlices } as unknown as SocketRooms;
  }

  /** The snapshots every agents' slice got, in order (each must have got all of them). */
  function agentsGot(): QueueSnapshot[] {
    const got = slices.filter((s) => s.slice === 0).map((s) => s.snapshot);
    for (let slice = 1; slice < AGENT_SLICES; slice++) expect(slices.filter((s) => s.slice === slice).map((s) => s.snapshot)).toEqual(got);
    return got;
  }

  const queued = (at: string) => ({ state: 'queued' as const, queued_at: at });

  /** Lets the read in progress finish, and any read after it. */
  async function finishReads(): Promise<void> {
    open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await feed.settled();
  }

  it('reads and sends once for changes made in the same tick', async () => {
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    feed.announce();
    feed.announce();
    await finishReads();
    expect(reads).toBe(1);
    expect(sent.map((s) => s.callsWaiting)).toEqual([1]);
  });

  it('reads again after a change made while a snapshot was being read, so the last change is sent', async () => {
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reads).toBe(1);
    live = [];
    feed.announce();
    feed.announce();
    await finishReads();
    expect(reads).toBe(2);
    expect(sent.map((s) => s.callsWaiting)).toEqual([1, 0]);
  });

  it('sends changes made within the spacing after the last snapshot once, at its end', async () => {
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await finishReads();
    const at = performance.now();
    live = [];
    feed.announce();
    live = [queued('2026-11-02T10:00:01.000Z')];
    await new Promise((resolve) => setTimeout(resolve, 20));
    feed.announce();
    await feed.settled();
    expect(reads).toBe(2);
    expect(sent.map((s) => s.oldestQueuedAt)).toEqual(['2026-11-02T10:00:00.000Z', '2026-11-02T10:00:01.000Z']);
    expect(performance.now() - at).toBeGreaterThanOrEqual(QUEUE_FEED_SPACING_MS - 20);
  });

  it('does not send again the figures it sent last (one node)', async () => {
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await finishReads();
    feed.announce();
    await feed.settled();
    expect(reads).toBe(2);
    expect(sent.length).toBe(1);
  });

  it("sends a change of the calls in progress alone to supervisors only: agents' desks show the calls waiting", async () => {
    const inProgress = { state: 'connected' as const, queued_at: '2026-11-02T09:59:00.000Z' };
    live = [queued('2026-11-02T10:00:00.000Z'), inProgress];
    feed.announce();
    await finishReads();
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await feed.settled();
    live = [];
    feed.announce();
    await feed.settled();
    expect(sent.map((s) => [s.callsWaiting, s.callsInProgress])).toEqual([[1, 1], [1, 0], [0, 0]]);
    expect(to).toEqual(['watchers', 'supervisors', 'watchers']);
  });

  it('sends every snapshot to the supervisors and the newest to the agents with several nodes (another may have sent other figures since)', async () => {
    const records = { active: async () => [...live] } as unknown as CallRecords;
    const shared = new QueueFeed(records, fakeRooms(), { redisUrl: 'redis://127.0.0.1:6379' } as AppConfig);
    live = [{ state: 'connected' as const, queued_at: '2026-11-02T09:59:00.000Z' }];
    shared.announce();
    await shared.settled();
    live = [];
    shared.announce();
    await shared.settled();
    expect(to).toEqual(['watchers', 'watchers']);
  });
  it("sends agents a snapshot one slice room at a time, handling what arrives between two slices, every slice before settled()", async () => {
    const events: string[] = [];
    onSlice = (slice) => {
      events.push(`slice ${slice}`);
      // A message that arrives while the snapshot goes out: the event loop takes it in a later macrotask.
      if (slice === 0) setImmediate(() => events.push('message'));
    };
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await finishReads();
    expect(agentsGot().map((s) => s.callsWaiting)).toEqual([1]);
    expect(events.length).withContext('every slice sent once settled').toBe(AGENT_SLICES + 1);
    expect(events.indexOf('message')).withContext('handled before the last slice').toBeLessThan(AGENT_SLICES);
  });

  it('sends agents at most one snapshot per AGENT_QUEUE_SPACING_MS during a burst of changes, newer after older, the last change at the end of the spacing', async () => {
    open();
    const start = performance.now();
    let waiting = 0;
    // A call more every 20 ms for 1.6 agents' spacings.
    while (performance.now() - start < AGENT_QUEUE_SPACING_MS * 1.6) {
      live = [...live, queued('2026-11-02T10:00:00.000Z')];
      waiting = live.length;
      feed.announce();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await feed.settled();
    const toAgents = agentsGot();
    const starts = slices.filter((s) => s.slice === 0).map((s) => s.at);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).withContext('ms between two agents\' snapshots').toBeGreaterThanOrEqual(AGENT_QUEUE_SPACING_MS - 2);
    expect(toAgents.length).withContext("agents' snapshots").toBeLessThanOrEqual(3);
    expect(sent.length).withContext("supervisors' snapshots").toBeGreaterThanOrEqual(6);
    const counts = toAgents.map((s) => s.callsWaiting);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts[counts.length - 1]).withContext('the last change').toBe(waiting);
  });

  it('sends a socket that connects while an older snapshot goes out to the agents its own after the rest of those slices, not before', async () => {
    open();
    live = [queued('2026-11-02T10:00:00.000Z')];
    // The socket joins the last slice room while the first slices go out, and is sent the queue as it is now (empty).
    const socketGot: string[] = [];
    let joined = false;
    let connecting: Promise<void> | undefined;
    onSlice = (slice) => {
      if (slice === AGENT_SLICES - 1 && joined) socketGot.push(`slice: ${slices[slices.length - 1].snapshot.callsWaiting} waiting`);
      if (slice === 0) {
        live = [];
        joined = true;
        connecting = feed.sendTo({ emit: (_event: string, snapshot: QueueSnapshot) => socketGot.push(`connect: ${snapshot.callsWaiting} waiting`) } as unknown as AppSocket);
      }
    };
    feed.announce();
    await feed.settled();
    await connecting;
    expect(socketGot).toEqual(['slice: 1 waiting', 'connect: 0 waiting']);
  });

  it('sends agents, at the end of their spacing, the snapshot read for a socket that connected meanwhile rather than an older one', async () => {
    open();
    live = [queued('2026-11-02T10:00:00.000Z')];
    feed.announce();
    await feed.settled();
    live = [];
    feed.announce();
    // The supervisors' snapshot is sent at the end of their spacing; the agents' is due a spacing after their last.
    while (sent.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(agentsGot().length).toBe(1);
    live = [queued('2026-11-02T10:00:05.000Z')];
    const connected: QueueSnapshot[] = [];
    await feed.sendTo({ emit: (_event: string, snapshot: QueueSnapshot) => connected.push(snapshot) } as unknown as AppSocket);
    await feed.settled();
    expect(connected.map((s) => s.oldestQueuedAt)).toEqual(['2026-11-02T10:00:05.000Z']);
    expect(agentsGot().map((s) => s.oldestQueuedAt)).withContext('never older after newer').toEqual(['2026-11-02T10:00:00.000Z', '2026-11-02T10:00:05.000Z']);
  });
});
