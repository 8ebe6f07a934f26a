import type { QueueSnapshot } from '@switchboard/call-domain';
import type { AppConfig } from '../config/config';
import type { CallRow } from '../database/schema';
import type { CallRecords } from './call-records';
import { QUEUE_FEED_SPACING_MS, QueueFeed } from './queue-feed.service';
import type { SocketRooms } from './socket-rooms';

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
    const room = (who: 'watchers' | 'supervisors') => () => ({
      emit: (_event: string, snapshot: QueueSnapshot) => {
        sent.push(snapshot);
        to.push(who);
      },
    });
    const rooms = { toQueueWatchers: room('watchers'), toSupervisors: room('supervisors') } as unknown as SocketRooms;
    feed = new QueueFeed(records, rooms, { redisUrl: null } as AppConfig);
  });

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

  it('sends every snapshot to every watcher with several nodes (another may have sent other figures since)', async () => {
    const records = { active: async () => [...live] } as unknown as CallRecords;
    const rooms = { toQueueWatchers: () => ({ emit: () => to.push('watchers') }), toSupervisors: () => ({ emit: () => to.push('supervisors') }) } as unknown as SocketRooms;
    const shared = new QueueFeed(records, rooms, { redisUrl: 'redis://127.0.0.1:6379' } as AppConfig);
    live = [{ state: 'connected' as const, queued_at: '2026-11-02T09:59:00.000Z' }];
    shared.announce();
    await shared.settled();
    live = [];
    shared.announce();
    await shared.settled();
    expect(to).toEqual(['watchers', 'watchers']);
  });
});
