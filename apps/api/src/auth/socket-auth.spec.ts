import type { Event } from 'socket.io';
import { expireWithToken, SESSION_EXPIRED_ACK } from './socket-auth';

describe('expireWithToken', () => {
  let now: number;
  beforeEach(() => {
    jasmine.clock().install();
    now = 1_000;
  });
  afterEach(() => jasmine.clock().uninstall());

  function fakeSocket(expiresAt: number | null) {
    const listeners: (() => void)[] = [];
    const middleware: ((packet: Event, next: (err?: Error) => void) => void)[] = [];
    const socket = {
      data: { expiresAt },
      disconnects: 0,
      use: (fn: (typeof middleware)[number]) => middleware.push(fn),
      once: (event: string, fn: () => void) => event === 'disconnect' && listeners.push(fn),
      disconnect(): void {
        socket.disconnects++;
        listeners.splice(0).forEach((fn) => fn());
      },
      send(event: string): { handled: boolean; acks: unknown[] } {
        const acks: unknown[] = [];
        let handled = false;
        middleware[0]([event, {}, (a: unknown) => acks.push(a)] as Event, () => (handled = true));
        return { handled, acks };
      },
    };
    return socket;
  }

  it('disconnects the socket when its token expires', () => {
    const socket = fakeSocket(6_000);
    expireWithToken(socket as never, () => now);
    jasmine.clock().tick(4_999);
    expect(socket.disconnects).toBe(0);
    now = 6_000;
    jasmine.clock().tick(1);
    expect(socket.disconnects).toBe(1);
  });

  it('refuses events after the expiry with unauthorized, even before the timer fired', () => {
    const socket = fakeSocket(6_000);
    expireWithToken(socket as never, () => now);
    expect(socket.send('hangUp')).toEqual({ handled: true, acks: [] });
    now = 6_000;
    expect(socket.send('hangUp')).toEqual({ handled: false, acks: [SESSION_EXPIRED_ACK] });
    expect(socket.disconnects).toBe(1);
  });

  it('clears its timer when the socket goes first', () => {
    const socket = fakeSocket(6_000);
    expireWithToken(socket as never, () => now);
    socket.disconnect();
    now = 10_000;
    jasmine.clock().tick(10_000);
    expect(socket.disconnects).toBe(1);
  });
});
