import type { Event } from 'socket.io';
import { RATE_LIMITED_ACK, socketRateLimit, TokenBucket } from './socket-rate-limit';

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
