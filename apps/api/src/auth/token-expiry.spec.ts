import type { Event } from 'socket.io';
import { SESSION_EXPIRED_ACK, TokenExpiry } from './token-expiry';

describe('TokenExpiry', () => {
  let now: number;
  let expiry: TokenExpiry;
  beforeEach(() => {
    jasmine.clock().install();
    now = 1_000;
    expiry = new TokenExpiry(() => now);
  });
  afterEach(() => {
    expiry.stop();
    jasmine.clock().uninstall();
  });

  /** Just enough of a socket: its expiry, and a `disconnect` that runs the close handler (untrack), as the adapter wires it. */
  function fakeSocket(expiresAt: number | null) {
    const socket = {
      data: { expiresAt },
      disconnects: 0,
      disconnect(): void {
        socket.disconnects++;
        expiry.untrack(socket);
      },
      send(event: string): { handled: boolean; acks: unknown[] } {
        const acks: unknown[] = [];
        const handled = !expiry.refuseExpired(socket, [event, {}, (a: unknown) => acks.push(a)] as Event);
        return { handled, acks };
      },
    };
    return socket;
  }

  /** Moves both clocks: the one the sweep reads and the fake timers. */
  function advance(ms: number): void {
    now += ms;
    jasmine.clock().tick(ms);
  }

  it('disconnects the socket when its token expires, not before', () => {
    const socket = fakeSocket(6_000);
    expiry.track(socket);
    advance(4_999);
    expect(socket.disconnects).toBe(0);
    advance(1);
    expect(socket.disconnects).toBe(1);
    expect(expiry.size).toBe(0);
  });

  it('refuses events after the expiry with unauthorized, even before the sweep ran', () => {
    const socket = fakeSocket(6_000);
    expiry.track(socket);
    expect(socket.send('hangUp')).toEqual({ handled: true, acks: [] });
    now = 6_000;
    expect(socket.send('hangUp')).toEqual({ handled: false, acks: [SESSION_EXPIRED_ACK] });
    expect(socket.disconnects).toBe(1);
  });

  it('forgets a socket that closed first', () => {
    const socket = fakeSocket(6_000);
    expiry.track(socket);
    socket.disconnect();
    advance(10_000);
    expect(socket.disconnects).toBe(1);
  });

  it('closes a socket whose token has already expired at once, and leaves one without expiry alone', () => {
    const late = fakeSocket(1_000);
    const forever = fakeSocket(null);
    expiry.track(late);
    expiry.track(forever);
    advance(100_000_000);
    expect([late.disconnects, forever.disconnects]).toEqual([1, 0]);
  });

  it('closes many sockets, each at its own expiry, with one timer armed at a time', () => {
    // Counted by hand: a Jasmine spy would put the fake clock's setTimeout back after uninstall.
    const fakeSetTimeout = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => (armed++, fakeSetTimeout(...args))) as typeof setTimeout;
    try {
      trackAndExpire(() => armed);
    } finally {
      globalThis.setTimeout = fakeSetTimeout;
    }
  });

  function trackAndExpire(armed: () => number): void {
    // 1 000 sockets over 10 expiry seconds, tracked out of order.
    const sockets = Array.from({ length: 1_000 }, (_, n) => fakeSocket(2_000 + ((n * 7) % 10) * 1_000));
    sockets.forEach((s) => expiry.track(s));
    expect(armed()).withContext('armed for the earliest expiry only, re-armed when an earlier one came').toBeLessThanOrEqual(10);
    sockets[3].disconnect();
    for (let second = 1; second <= 10; second++) {
      advance(1_000);
      const open = sockets.filter((s) => s.disconnects === 0);
      expect(open.every((s) => (s.data.expiresAt as number) > now)).withContext(`at ${now}, every expired socket is closed`).toBeTrue();
      expect(open.length).withContext(`at ${now}, the others are open`).toBe(sockets.filter((s, i) => i !== 3 && (s.data.expiresAt as number) > now).length);
    }
    expect(sockets.every((s) => s.disconnects === 1)).toBeTrue();
    expect(armed()).withContext('one timer per expiry second, not per socket').toBeLessThanOrEqual(20);
  }
});
