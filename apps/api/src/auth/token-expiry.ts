import type { Event } from 'socket.io';

/** What an event sent after the socket's token expired acks with (the socket is then closed). */
export const SESSION_EXPIRED_ACK = { ok: false, error: { code: 'unauthorized', message: 'Your session has expired' } } as const;

/** Longest `setTimeout` delay Node accepts (about 24.8 days); a later expiry re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The part of a socket the sweep needs: its token's expiry and a way to close it. */
interface ExpiringSocket {
  data: { expiresAt?: number | null };
  disconnect(close: true): unknown;
}

/**
 * Holds every socket of a server only as long as its token: at `socket.data.expiresAt` the
 * socket is disconnected (the client sees `io server disconnect` and does not reconnect by
 * itself; it must sign in again). One timer serves all the sockets: they are grouped by expiry
 * time (JWT expiries are whole seconds, so sockets signed in during the same second share a
 * group) and the timer is armed for the earliest group only. Events that arrive after the
 * expiry but before the sweep closed the socket are refused by {@link refuseExpired}.
 */
export class TokenExpiry {
  private readonly groups = new Map<number, Set<ExpiringSocket>>();
  /** The groups' expiry times, ascending. */
  private readonly times: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Closes `socket` when its token expires (now, if it already has); a socket without expiry is left alone. */
  track(socket: ExpiringSocket): void {
    const expiresAt = socket.data.expiresAt;
    if (expiresAt === null || expiresAt === undefined) return;
    if (expiresAt <= this.clock()) {
      socket.disconnect(true);
      return;
    }
    let group = this.groups.get(expiresAt);
    if (!group) {
      group = new Set();
      this.groups.set(expiresAt, group);
      this.times.splice(this.insertionPoint(expiresAt), 0, expiresAt);
    }
    group.add(socket);
    if (expiresAt < this.armedFor) this.arm();
  }

  /** Forgets a socket that closed. */
  untrack(socket: ExpiringSocket): void {
    const expiresAt = socket.data.expiresAt;
    if (expiresAt === null || expiresAt === undefined) return;
    const group = this.groups.get(expiresAt);
    if (!group?.delete(socket) || group.size > 0) return;
    // An empty group stays in `times` until the sweep reaches it: removing it here would cost a search per close.
    this.groups.delete(expiresAt);
  }

  /**
   * Whether `packet` arrived after its socket's token expired: then its ack (if it asked for
   * one) gets {@link SESSION_EXPIRED_ACK}, the socket is closed, and the caller must drop the event.
   */
  refuseExpired(socket: ExpiringSocket, packet: Event): boolean {
    const expiresAt = socket.data.expiresAt;
    if (expiresAt === null || expiresAt === undefined || this.clock() < expiresAt) return false;
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') ack(SESSION_EXPIRED_ACK);
    socket.disconnect(true);
    return true;
  }

  /** How many sockets are waiting for their expiry (for tests and benchmarks). */
  get size(): number {
    let n = 0;
    for (const group of this.groups.values()) n += group.size;
    return n;
  }

  /** Stops the timer (the server is closing); tracked sockets are forgotten. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.groups.clear();
    this.times.length = 0;
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.clock();
    while (this.times.length > 0 && this.times[0] <= now) {
      const expiresAt = this.times.shift() as number;
      const group = this.groups.get(expiresAt);
      this.groups.delete(expiresAt);
      // Disconnecting runs the socket's close handlers, which untrack it: the group is already gone.
      for (const socket of group ?? []) socket.disconnect(true);
    }
    this.arm();
  }

  private arm(): void {
    while (this.times.length > 0 && !this.groups.has(this.times[0])) this.times.shift();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    if (this.times.length === 0) return;
    this.armedFor = this.times[0];
    this.timer = setTimeout(() => this.sweep(), Math.min(Math.max(0, this.armedFor - this.clock()), MAX_TIMER_MS));
    // Fake clocks in unit tests hand out plain ids.
    this.timer.unref?.();
  }

  private insertionPoint(time: number): number {
    // New tokens expire last: the usual insertion is at the end.
    let low = 0;
    let high = this.times.length;
    if (high === 0 || this.times[high - 1] < time) return high;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid] < time) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
