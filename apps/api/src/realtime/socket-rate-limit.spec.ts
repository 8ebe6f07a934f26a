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
  /** Just enough of a Socket.IO socket: its user, middleware, `disconnect` listeners. */
  function fakeSocket(userId: string) {
    const listeners: (() => void)[] = [];
    const middleware: ((packet: Event, next: (err?: Error) => void) => void)[] = [];
    const socket = {
      data: { user: { id: userId } },
      connected: true,
      use: (fn: (typeof middleware)[number]) => middleware.push(fn),
      once: (event: string, fn: () => void) => event === 'disconnect' && listeners.push(fn),
      send(event: string): boolean {
        let handled = false;
        middleware[0]([event, {}, () => undefined] as Event, () => (handled = true));
        return handled;
      },
      close(): void {
        socket.connected = false;
        listeners.splice(0).forEach((fn) => fn());
      },
    };
    return socket;
  }
  function admit(limits: UserSocketLimits, socket: ReturnType<typeof fakeSocket>): string {
    let outcome = 'admitted';
    limits.admit(socket as never, (err) => (outcome = err?.message ?? 'admitted'));
    if (outcome === 'admitted') limits.install(socket as never);
    return outcome;
  }

  it('refuses a user’s socket over the cap with too_many_connections, and admits one again after a close', () => {
    const limits = new UserSocketLimits(2);
    const [a, b, c] = [fakeSocket('u1'), fakeSocket('u1'), fakeSocket('u1')];
    expect([admit(limits, a), admit(limits, b), admit(limits, c)]).toEqual(['admitted', 'admitted', TOO_MANY_CONNECTIONS]);
    expect(admit(limits, fakeSocket('u2'))).withContext('another user').toBe('admitted');
    a.close();
    expect(limits.socketsOf('u1')).toBe(1);
    expect(admit(limits, fakeSocket('u1'))).toBe('admitted');
  });

  it('shares one set of buckets between the sockets of a user, and keeps it across a reconnect', () => {
    const now = 0;
    const limits = new UserSocketLimits(10, { default: { burst: 2, perSecond: 0.001 } }, () => now);
    const [a, b] = [fakeSocket('u1'), fakeSocket('u1')];
    admit(limits, a);
    admit(limits, b);
    expect([a.send('hangUp'), b.send('hangUp'), a.send('hangUp'), b.send('hangUp')]).toEqual([true, true, false, false]);
    const other = fakeSocket('u2');
    admit(limits, other);
    expect(other.send('hangUp')).toBeTrue();
    a.close();
    b.close();
    const again = fakeSocket('u1');
    admit(limits, again);
    expect(again.send('hangUp')).withContext('reconnecting does not refill the buckets').toBeFalse();
  });
});
