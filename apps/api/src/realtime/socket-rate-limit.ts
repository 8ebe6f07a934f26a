import type { Event, Socket } from 'socket.io';
import type { Ack, ClientToServerEvents } from '@switchboard/call-domain';

/** A token bucket's size: `burst` events at once, refilled at `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

/**
 * Limits per socket and event. Signaling is generous (ICE candidates come in bursts while a
 * call rings); placing a call or asking for a callback is tight; everything else (accept,
 * hang up, availability, wrap-up…) sits in between. An event not listed uses `default`.
 */
export const SOCKET_EVENT_LIMITS: Readonly<Partial<Record<keyof ClientToServerEvents, RateLimit>> & { default: RateLimit }> = {
  sendOffer: { burst: 200, perSecond: 50 },
  sendAnswer: { burst: 200, perSecond: 50 },
  sendCandidate: { burst: 200, perSecond: 50 },
  requestCall: { burst: 5, perSecond: 0.5 },
  requestCallback: { burst: 5, perSecond: 0.5 },
  default: { burst: 20, perSecond: 2 },
};

/** What an event over its limit acks with. */
export const RATE_LIMITED_ACK: Ack<never> = { ok: false, error: { code: 'rate_limited', message: 'Too many requests — slow down' } };

/** A token bucket: {@link take} spends one token if there is one. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = now;
  }

  /** Whether an event at `now` (ms) is within the limit; spends a token if so. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.refilledAt) / 1000;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Socket.IO packet middleware (`socket.use(…)`) for one socket: an event over its
 * {@link SOCKET_EVENT_LIMITS} is not handled, and its ack (if the client asked for one) gets
 * {@link RATE_LIMITED_ACK}.
 */
export function socketRateLimit(limits = SOCKET_EVENT_LIMITS, clock: () => number = Date.now): (packet: Event, next: (err?: Error) => void) => void {
  const buckets = new Map<string, TokenBucket>();
  return (packet, next) => {
    const event = String(packet[0]);
    const key = Object.hasOwn(limits, event) ? event : 'default';
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(limits[key as keyof typeof limits] ?? limits.default, clock());
      buckets.set(key, bucket);
    }
    if (bucket.take(clock())) {
      next();
      return;
    }
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') ack(RATE_LIMITED_ACK);
  };
}

/** Installs {@link socketRateLimit} on a socket (on every connection of every namespace). */
export function limitSocketEvents(socket: Socket): void {
  socket.use(socketRateLimit());
}
