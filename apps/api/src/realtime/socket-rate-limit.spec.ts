import type { Event } from 'socket.io';
import { RATE_LIMITED_ACK, socketRateLimit, TokenBucket, TOO_MANY_CONNECTIONS, UserSocketLimits } from './socket-rate-limit';

describe('TokenBucket', () => {
  it('allows a burst, then refills at its rate', () => {
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBeFalse();
    expect(bucket.take(500)).toBeTrue();
    expect(bucket.take(10_000)).toBeTrue();
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
  });
});

describe('socketRateLimit', () => {
  let now: number;
  let limit: ReturnType<typeof socketRateLimit>;
  beforeEach(() => {
    now = 0;
    limit = socketRateLimit({ requestCall: { burst: 2, perSecond: 0.5 }, default: { burst: 1, perSecond: 1 } }, () => now);
  });

  function send(event: string): { handled: boolean; acks: unknown[] } {
    const acks: unknown[] = [];
    let handled = false;
    limit([event, {}, (res: unknown) => acks.push(res)] as Event, () => (handled = true));
    return { handled, acks };
  }

  it('passes events within their limit and acks the rest with rate_limited, unhandled', () => {
    expect(send('requestCall')).toEqual({ handled: true, acks: [] });
    expect(send('requestCall')).toEqual({ handled: true, acks: [] });
    expect(send('requestCall')).toEqual({ handled: false, acks: [RATE_LIMITED_ACK] });
    now = 2000;
    expect(send('requestCall').handled).toBeTrue();
  });

  it('keeps a bucket per event, and one shared default for the others (prototype names included)', () => {
    expect(send('requestCall').handled).toBeTrue();
    expect(send('hangUp').handled).toBeTrue();
    expect(send('toString').acks).toEqual([RATE_LIMITED_ACK]);
    expect(send('requestCall').handled).toBeTrue();
  });

  it('drops an event over the limit that asked for no ack', () => {
    send('hangUp');
    let handled = false;
    expect(() => limit(['hangUp', {}] as Event, () => (handled = true))).not.toThrow();
    expect(handled).toBeFalse();
  });
});

describe('UserSocketLimits', () => {
  let now: number;
  beforeEach(() => (now = 0));

  /** Just enough of a Socket.IO socket: its user, and a close that releases it as the adapter does. */
  function fakeSocket(limits: UserSocketLimits, userId: string) {
    const socket = {
      data: { user: { id: userId } },
      connected: true,
      send(event: string): boolean {
        return limits.allows(socket as never, [event, {}, () => undefined] as Event);
      },
      close(): void {
        socket.connected = false;
        limits.release(socket as never);
      },
    };
    return socket;
  }
  function admit(limits: UserSocketLimits, socket: ReturnType<typeof fakeSocket>): string {
    let outcome = 'admitted';
    limits.admit(socket as never, (err) => (outcome = err?.message ?? 'admitted'));
    return outcome;
  }

  it('refuses a user’s socket over the cap with too_many_connections, and admits one again after a close', () => {
    const limits = new UserSocketLimits(2);
    const [a, b, c] = [fakeSocket(limits, 'u1'), fakeSocket(limits, 'u1'), fakeSocket(limits, 'u1')];
    expect([admit(limits, a), admit(limits, b), admit(limits, c)]).toEqual(['admitted', 'admitted', TOO_MANY_CONNECTIONS]);
    expect(admit(limits, fakeSocket(limits, 'u2'))).withContext('another user').toBe('admitted');
    a.close();
    expect(limits.socketsOf('u1')).toBe(1);
    expect(admit(limits, fakeSocket(limits, 'u1'))).toBe('admitted');
  });

  it('creates a user’s buckets on their first event, not when their sockets connect', () => {
    const limits = new UserSocketLimits(10, { default: { burst: 1, perSecond: 0.001 } }, () => now);
    const [a, b] = [fakeSocket(limits, 'u1'), fakeSocket(limits, 'u1')];
    admit(limits, a);
    admit(limits, b);
    expect(limits.hasBuckets('u1')).withContext('two idle sockets').toBeFalse();
    expect(a.send('hangUp')).toBeTrue();
    expect(limits.hasBuckets('u1')).toBeTrue();
    expect(b.send('hangUp')).withContext('the bucket the first event spent from').toBeFalse();
  });

  it('shares one set of buckets between the sockets of a user, and keeps it across a reconnect', () => {
    const limits = new UserSocketLimits(10, { default: { burst: 2, perSecond: 0.001 } }, () => now);
    const [a, b] = [fakeSocket(limits, 'u1'), fakeSocket(limits, 'u1')];
    admit(limits, a);
    admit(limits, b);
    expect([a.send('hangUp'), b.send('hangUp'), a.send('hangUp'), b.send('hangUp')]).toEqual([true, true, false, false]);
    const other = fakeSocket(limits, 'u2');
    admit(limits, other);
    expect(other.send('hangUp')).toBeTrue();
    a.close();
    b.close();
    now = 30_000;
    const again = fakeSocket(limits, 'u1');
    admit(limits, again);
    expect(again.send('hangUp')).withContext('reconnecting does not refill the buckets').toBeFalse();
  });

  it('forgets a user’s buckets a minute after their last socket closed, without a timer per user', () => {
    const timers = spyOn(globalThis, 'setTimeout').and.callThrough();
    const limits = new UserSocketLimits(10, { default: { burst: 1, perSecond: 0.001 } }, () => now);
    const gone = Array.from({ length: 50 }, (_, n) => fakeSocket(limits, `u${n}`));
    for (const socket of gone) {
      admit(limits, socket);
      socket.send('hangUp');
      socket.close();
    }
    const stays = fakeSocket(limits, 'stays');
    admit(limits, stays);
    now = 60_000;
    admit(limits, fakeSocket(limits, 'late'));
    expect(limits.usersKept).withContext('the one still connected and the newcomer').toBe(2);
    expect(timers).not.toHaveBeenCalled();
    const back = fakeSocket(limits, 'u0');
    admit(limits, back);
    expect(back.send('hangUp')).withContext('a full bucket after the minute').toBeTrue();
  });
});
