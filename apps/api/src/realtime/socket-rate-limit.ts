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
  // A call's quality sample every 2 s, in its own bucket so that it never spends what a hang-up needs.
  reportQuality: { burst: 10, perSecond: 1 },
  placeCallback: { burst: 10, perSecond: 1 },
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
 * Whether `packet` is within its {@link SOCKET_EVENT_LIMITS} (spending a token from
 * `buckets`, created on first use); if not, its ack (if the client asked for one) gets
 * {@link RATE_LIMITED_ACK} and the caller must drop the event.
 */
export function withinRateLimit(packet: Event, buckets: Map<string, TokenBucket>, limits = SOCKET_EVENT_LIMITS, now = Date.now()): boolean {
  const event = String(packet[0]);
  const key = Object.hasOwn(limits, event) ? event : 'default';
  let bucket = buckets.get(key);
  if (!bucket) {
    bucket = new TokenBucket(limits[key as keyof typeof limits] ?? limits.default, now);
    buckets.set(key, bucket);
  }
  if (bucket.take(now)) return true;
  const ack = packet[packet.length - 1];
  if (typeof ack === 'function') ack(RATE_LIMITED_ACK);
  return false;
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
    if (withinRateLimit(packet, buckets, limits, clock())) next();
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
  /** Created on the user's first event: an idle user costs no map. */
  buckets: Map<string, TokenBucket> | null;
  /** When the user's last socket closed (ms), while they have none. */
  idleSince: number | null;
}

/** The user id the handshake verified, if any. */
function userIdOf(socket: Socket): string | undefined {
  return (socket.data as { user?: { id: string } }).user?.id;
}

/**
 * Per-user limits for one Socket.IO server (so: per node): at most `maxSockets` sockets per
 * user, and one set of token buckets ({@link SOCKET_EVENT_LIMITS}) shared by all of them, so
 * opening more sockets buys no more events. A user's buckets are kept at least a minute after
 * their last socket closes, so reconnecting does not refill them either (they are dropped by a
 * later handshake, not by a timer).
 *
 * Install {@link admit} as handshake middleware after authentication (it reads
 * `socket.data.user`), pass every event through {@link allows}, and {@link release} the
 * socket when it disconnects. Nothing is kept per socket but its place in its user's set: no
 * listener, closure, timer or middleware.
 */
export class UserSocketLimits {
  private readonly users = new Map<string, UserLimits>();
  private prunedAt: number;

  constructor(
    private readonly maxSockets = MAX_SOCKETS_PER_USER,
    private readonly limits = SOCKET_EVENT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {
    this.prunedAt = clock();
  }

  /** Handshake middleware: refuses the user's socket over the cap with {@link TOO_MANY_CONNECTIONS}. */
  readonly admit = (socket: Socket, next: (err?: Error) => void): void => {
    const userId = userIdOf(socket);
    if (!userId) {
      next();
      return;
    }
    this.pruneIdleUsers();
    const entry = this.entry(userId);
    if (entry.sockets.size >= this.maxSockets) {
      next(new Error(TOO_MANY_CONNECTIONS));
      return;
    }
    // Counted from the handshake, so simultaneous handshakes cannot all slip under the cap.
    entry.sockets.add(socket);
    entry.idleSince = null;
    // A handshake that passed here but never connected (refused later, or the client left).
    setImmediate(() => {
      if (!socket.connected) this.release(socket);
    });
    next();
  };

  /**
   * Whether the socket's event is within its user's limits (spending a token); if not, its
   * ack gets {@link RATE_LIMITED_ACK} and the event must be dropped.
   */
  allows(socket: Socket, packet: Event): boolean {
    const entry = this.entry(userIdOf(socket) ?? '');
    entry.buckets ??= new Map();
    return withinRateLimit(packet, entry.buckets, this.limits, this.clock());
  }

  /** Whether `userId` has token buckets yet (for tests): not until their first event. */
  hasBuckets(userId: string): boolean {
    return (this.users.get(userId)?.buckets ?? null) !== null;
  }

  /** How many sockets `userId` holds (for tests). */
  socketsOf(userId: string): number {
    return this.users.get(userId)?.sockets.size ?? 0;
  }

  /** How many users have an entry: sockets open, or buckets kept after their last one (for tests). */
  get usersKept(): number {
    return this.users.size;
  }

  private entry(userId: string): UserLimits {
    let entry = this.users.get(userId);
    if (!entry) {
      entry = { sockets: new Set(), buckets: null, idleSince: this.clock() };
      this.users.set(userId, entry);
    }
    return entry;
  }

  /** Frees the socket's place: call it when an admitted socket disconnects. */
  release(socket: Socket): void {
    const userId = userIdOf(socket);
    const entry = userId === undefined ? undefined : this.users.get(userId);
    if (!entry?.sockets.delete(socket) || entry.sockets.size > 0) return;
    entry.idleSince = this.clock();
  }

  /** Forgets users idle for {@link BUCKETS_KEPT_MS}, at most once per that period: no timer per user. */
  private pruneIdleUsers(): void {
    const now = this.clock();
    if (now - this.prunedAt < BUCKETS_KEPT_MS) return;
    this.prunedAt = now;
    for (const [userId, entry] of this.users) {
      if (entry.idleSince !== null && now - entry.idleSince >= BUCKETS_KEPT_MS) this.users.delete(userId);
    }
  }
}
