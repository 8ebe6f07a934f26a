import type { AppConfig } from '../config/config';
import type { AgentPresence } from './agent-presence.service';
import type { CallRecords, RecentAnswer } from './call-records';
import { QueuePositions, RECENT_QUEUE_TIMES_MAX_AGE_MS } from './queue-positions';
import type { SocketRooms } from './socket-rooms';

describe('QueuePositions: the recent queue times behind wait estimates', () => {
  /** What the database holds, newest first, as `recentAnswers` reads it. */
  let stored: RecentAnswer[];
  let reads: number;
  /** Holds the next read's answer until opened (the read has taken its rows already). */
  let gate: Promise<void> | null;

  const answer = (callId: string, second: number, queueMs: number): RecentAnswer => ({ callId, answeredAt: `2026-12-06T10:00:${String(second).padStart(2, '0')}.000Z`, queueMs });

  function positions(redisUrl: string | null = null): QueuePositions {
    const records = {
      placeInLine: async () => 1,
      recentAnswers: async () => {
        reads++;
        const rows = [...stored];
        if (gate) await gate;
        return rows;
      },
    } as unknown as CallRecords;
    return new QueuePositions(records, {} as AgentPresence, {} as SocketRooms, { redisUrl } as AppConfig);
  }

  /** The estimate a caller first in line is told. */
  const estimate = async (queue: QueuePositions) => (await queue.ofPlaced('call-x', '2026-12-06T10:01:00.000Z'))?.estimatedWaitSeconds;

  beforeEach(() => {
    stored = [answer('a', 1, 6_000)];
    reads = 0;
    gate = null;
  });

  it('reads them once on one node, then takes each answered call from its event', async () => {
    const queue = positions();
    expect(await estimate(queue)).toBe(6);
    queue.answered(answer('b', 2, 0));
    expect(await estimate(queue)).toBe(3);
    expect(reads).toBe(1);
  });

  it('counts a call once however often its event is delivered (a dead node\'s are delivered again), whether or not the read had it', async () => {
    const queue = positions();
    await estimate(queue);
    // The read had `a`; its event comes (again), then `b`'s.
    queue.answered(answer('a', 1, 6_000));
    queue.answered(answer('b', 2, 0));
    // 6 000 and 0 ms: 3 s, not 4 s (6 000 counted twice).
    expect(await estimate(queue)).toBe(3);
    queue.answered(answer('b', 2, 0));
    queue.answered(answer('c', 3, 6_000));
    // 6 000, 0 and 6 000 ms: 4 s, not 3 s (0 counted twice).
    expect(await estimate(queue)).toBe(4);
  });

  it('keeps the last 20 by when they were answered, an event delivered late in its place', async () => {
    const queue = positions();
    await estimate(queue);
    for (let i = 0; i < 20; i++) queue.answered(answer(`new-${i}`, 10 + i, 0));
    // Older than all twenty kept: not among the recent ones.
    queue.answered(answer('late', 5, 60_000));
    expect(await estimate(queue)).toBe(0);
  });

  it('does not keep a read during which a call was answered (it may not have it), and reads again next time', async () => {
    const queue = positions();
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    const first = estimate(queue);
    // Answered and committed after the read took its rows: the read does not have it.
    queue.answered(answer('b', 2, 0));
    stored = [answer('b', 2, 0), ...stored];
    open();
    expect(await first).toBe(6);
    gate = null;
    expect(await estimate(queue)).toBe(3);
    expect(reads).toBe(2);
  });

  it('reads them again once they are a second old with several nodes (another node\'s accepts are not published here)', async () => {
    jasmine.clock().install();
    try {
      jasmine.clock().mockDate(new Date('2026-12-06T10:02:00.000Z'));
      const queue = positions('redis://127.0.0.1:6379');
      await estimate(queue);
      stored = [answer('b', 2, 0), ...stored];
      expect(await estimate(queue)).toBe(6);
      jasmine.clock().tick(RECENT_QUEUE_TIMES_MAX_AGE_MS);
      expect(await estimate(queue)).toBe(3);
      expect(reads).toBe(2);
    } finally {
      jasmine.clock().uninstall();
    }
  });
});
