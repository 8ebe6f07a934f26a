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
  let feed: QueueFeed;

  beforeEach(() => {
    live = [];
    reads = 0;
    gate = new Promise<void>((resolve) => (open = resolve));
    sent = [];
    const records = {
      active: async () => {
        reads++;
        const rows = [...live];
        await gate;
        return rows;
      },
    } as unknown as CallRecords;
    const rooms = { toQueueWatchers: () => ({ emit: (_event: string, snapshot: QueueSnapshot) => sent.push(snapshot) }) } as unknown as SocketRooms;
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
});
