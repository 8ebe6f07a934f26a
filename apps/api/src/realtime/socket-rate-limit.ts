import type { Event, Socket } from 'socket.io';
import type { Ack, ClientToServerEvents } from '@switchboard/call-domain';

/** A token bucket's size: `burst` events at once, refilled at `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

/**
 * Limits per user and event (one set of buckets shared by all the user's sockets on a node). Signaling is generous (ICE candidates come in bursts while a
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
export function socketRateLimit(
  limits = SOCKET_EVENT_LIMITS,
  clock: () => number = Date.now,
  /** The buckets to spend from; pass the same map to several sockets to make them share. */
  buckets = new Map<string, TokenBucket>(),
): (packet: Event, next: (err?: Error) => void) => void {
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

/** Most sockets one user may hold open at once on one node (tabs, devices). */
export const MAX_SOCKETS_PER_USER = 10;

/** The `connect_error` message of a handshake over {@link MAX_SOCKETS_PER_USER}. */
export const TOO_MANY_CONNECTIONS = 'too_many_connections';

/** How long a user's buckets outlive their last socket (longer than any bucket takes to refill). */
const BUCKETS_KEPT_MS = 60_000;

interface UserLimits {
  sockets: Set<Socket>;
  buckets: Map<string, TokenBucket>;
  forget?: NodeJS.Timeout;
}

/**
 * Per-user limits for one Socket.IO server (so: per node): at most `maxSockets` sockets per
 * user, and one set of token buckets ({@link SOCKET_EVENT_LIMITS}) shared by all of them, so
 * opening more sockets buys no more events. A user's buckets are kept a minute after their
 * last socket closes, so reconnecting does not refill them either.
 *
 * Install {@link admit} as handshake middleware after authentication (it reads
 * `socket.data.user`) and call {@link install} on every connection.
 */
export class UserSocketLimits {
  private readonly users = new Map<string, UserLimits>();

  constructor(
    private readonly maxSockets = MAX_SOCKETS_PER_USER,
    private readonly limits = SOCKET_EVENT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Handshake middleware: refuses the user's socket over the cap with {@link TOO_MANY_CONNECTIONS}. */
  readonly admit = (socket: Socket, next: (err?: Error) => void): void => {
    const userId = (socket.data as { user?: { id: string } }).user?.id;
    if (!userId) {
      next();
      return;
    }
    const entry = this.entry(userId);
    if (entry.sockets.size >= this.maxSockets) {
      next(new Error(TOO_MANY_CONNECTIONS));
      return;
    }
    // Counted from the handshake, so simultaneous handshakes cannot all slip under the cap.
    entry.sockets.add(socket);
    const release = () => this.release(userId, socket);
    socket.once('disconnect', release);
    // A handshake that passed here but never connected (refused later, or the client left).
    setImmediate(() => {
      if (!socket.connected) release();
    });
    next();
  };

  /** Rate-limits a connected socket's events with its user's buckets. */
  readonly install = (socket: Socket): void => {
    const userId = (socket.data as { user?: { id: string } }).user?.id;
    socket.use(socketRateLimit(this.limits, this.clock, userId ? this.entry(userId).buckets : undefined));
  };

  /** How many sockets `userId` holds (for tests). */
  socketsOf(userId: string): number {
    return this.users.get(userId)?.sockets.size ?? 0;
  }

  private entry(userId: string): UserLimits {
    let entry = this.users.get(userId);
    if (!entry) {
      entry = { sockets: new Set(), buckets: new Map() };
      this.users.set(userId, entry);
    }
    if (entry.forget) {
      clearTimeout(entry.forget);
      entry.forget = undefined;
    }
    return entry;
  }

  private release(userId: string, socket: Socket): void {
    const entry = this.users.get(userId);
    if (!entry?.sockets.delete(socket) || entry.sockets.size > 0) return;
    entry.forget = setTimeout(() => {
      if (this.users.get(userId) === entry && entry.sockets.size === 0) this.users.delete(userId);
    }, BUCKETS_KEPT_MS);
    entry.forget.unref();
  }
}
