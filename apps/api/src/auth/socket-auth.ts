import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Event, Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { SessionUser } from '@switchboard/call-domain';
import type { AppConfig } from '../config/config';
import { HandshakeGate, type HandshakeGateOptions } from '../realtime/handshake-gate';
import { coalesceFlushWrites } from '../realtime/coalesced-writes';
import { UserSocketLimits } from '../realtime/socket-rate-limit';
import { AccessTokens } from './access-tokens';
import { SessionSockets } from './session-sockets';
import { SessionStore } from './session-store';
import { TokenExpiry } from './token-expiry';

export { SESSION_EXPIRED_ACK } from './token-expiry';

/** The message of the `connect_error` a client gets when its token is refused. */
export const SOCKET_UNAUTHORIZED = 'unauthorized';

/** Largest Socket.IO message accepted (bytes): SDP offers fit with room to spare. */
export const SOCKET_MAX_BUFFER_SIZE = 100_000;

/** How long a connection may stay without joining a namespace (its handshake refused, or never sent) before it is closed. */
export const SOCKET_CONNECT_TIMEOUT_MS = 5_000;

/** The handshake gate's settings when none are given: same origin only, 200 connections per address. */
export const DEFAULT_HANDSHAKE_GATE: HandshakeGateOptions = { allowedOrigins: [], maxConnectionsPerAddress: 200 };

/** What the API keeps on `socket.data`: the user verified at the handshake. */
export interface SocketData {
  user: SessionUser;
  /** The sign-in session of the handshake's token: the socket is closed when it ends. */
  sessionId: string;
  /** When the handshake's token expires (ms since the epoch; null if it has no `exp`): the socket is closed then. */
  expiresAt: number | null;
}

/**
 * Socket.IO middleware that admits a connection only with a valid access token in
 * `handshake.auth.token` (as sent by `io(url, { auth: { token } })`) whose sign-in session is
 * still open, and puts the verified user on `socket.data.user`, the session on
 * `socket.data.sessionId`, the token's expiry on `socket.data.expiresAt`. Anything else
 * fails the handshake: the client gets a `connect_error` whose message is
 * {@link SOCKET_UNAUTHORIZED}.
 */
export function socketAuthMiddleware(
  tokens: AccessTokens,
  sessions: Pick<SessionStore, 'isOpen'>,
): (socket: Socket, next: (err?: Error) => void) => void {
  return (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const verified = tokens.verifySession(auth?.token);
    // Verified once, here: the token is not kept on the socket (nor sent to other nodes by fetchSockets).
    delete auth?.token;
    if (!verified?.sessionId) {
      next(new Error(SOCKET_UNAUTHORIZED));
      return;
    }
    const { user, sessionId, expiresAt } = verified;
    sessions.isOpen(sessionId, user.id).then(
      (open) => {
        if (!open) return next(new Error(SOCKET_UNAUTHORIZED));
        Object.assign(socket.data as SocketData, { user, sessionId, expiresAt } satisfies SocketData);
        next();
      },
      (err: unknown) => {
        connectionsLog.error({ msg: 'session check failed', error: String(err) });
        next(new Error(SOCKET_UNAUTHORIZED));
      },
    );
  };
}

const connectionsLog = new Logger('Connections');

/** Options of {@link AuthenticatedIoAdapter}. */
export interface AuthenticatedIoAdapterOptions {
  /** Which handshakes are let in (origins, connections per address); {@link DEFAULT_HANDSHAKE_GATE} when unset. */
  gate?: HandshakeGateOptions;
  /** Socket.IO connection state recovery for this long (see {@link recoveryWindowMs}); none when unset. */
  recoveryWindowMs?: number;
}

/**
 * How long a lost socket can come back as itself (Socket.IO's connection state recovery): as
 * long as the longer grace period. A socket that reconnects within it gets its id and rooms
 * back and every event sent to it meanwhile, in order (an accept, an answer, candidates, a
 * hang-up), then reconnects as usual. Any node can restore it: on one node the sessions and
 * events are held in memory, with several nodes in the Redis stream (`SocketRooms`). The
 * token is checked again (middlewares are not skipped).
 */
export function recoveryWindowMs(config: AppConfig): number {
  return Math.max(config.calls.presenceGraceSeconds, config.calls.callerGraceSeconds) * 1000;
}

/**
 * The app's Socket.IO adapter: one server on the HTTP server's origin and port, path
 * `/socket.io`, messages up to {@link SOCKET_MAX_BUFFER_SIZE}, handshakes from foreign origins
 * or over a per-address cap refused ({@link HandshakeGate}), connections that do not
 * authenticate within {@link SOCKET_CONNECT_TIMEOUT_MS} closed, and every namespace guarded by
 * {@link socketAuthMiddleware}, then capped and rate-limited per user ({@link UserSocketLimits},
 * per node); every socket joins its sign-in session's room ({@link SessionSockets}), so
 * signing out closes it on any node; every socket is closed when its token expires ({@link TokenExpiry}) and its
 * connection and disconnection are logged.
 *
 * Each socket costs one packet middleware (expiry check, rate limit, then {@link deliverEvent})
 * and shared `disconnect` listeners: no timer, closure or subscription per socket otherwise.
 *
 * How a gateway uses it: nothing to do. Declare `@WebSocketGateway()` (or with a
 * `namespace`) in a module, and every socket reaching its handlers is already authenticated:
 * read the user with `(client.data as SocketData).user` and type the server as
 * `Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>`.
 * Code that builds its own Socket.IO server (e.g. a test) applies the same check with
 * `io.use(socketAuthMiddleware(app.get(AccessTokens), app.get(SessionStore)))`.
 */
export class AuthenticatedIoAdapter extends IoAdapter {
  /** The sweep that closes sockets whose token expired (one timer for all of them). */
  protected readonly expiry = new TokenExpiry();
  private readonly limits = new UserSocketLimits();
  private sessionSockets: SessionSockets | null = null;
  private sessions: Pick<SessionStore, 'isOpen'> | null = null;
  // Shared by every socket: Socket.IO calls it with the socket as `this`.
  private readonly socketClosed: (this: Socket, reason: string) => void;

  private readonly gate: HandshakeGate;

  constructor(
    private readonly app: INestApplicationContext,
    private readonly options: AuthenticatedIoAdapterOptions = {},
  ) {
    super(app);
    this.gate = new HandshakeGate(options.gate ?? DEFAULT_HANDSHAKE_GATE);
    const { expiry, limits } = this;
    const closed = (socket: Socket) => this.socketDisconnected(socket);
    this.socketClosed = function (this: Socket, reason: string) {
      expiry.untrack(this);
      limits.release(this);
      connectionsLog.log({ msg: 'socket disconnected', socketId: this.id, userId: (this.data as SocketData).user.id, reason });
      closed(this);
    };
  }

  /** Creates the server with the app's options and guards all its namespaces. */
  override createIOServer(port: number, options?: ServerOptions): Server {
    const server: Server = super.createIOServer(port, {
      ...options,
      path: '/socket.io',
      maxHttpBufferSize: SOCKET_MAX_BUFFER_SIZE,
      // Same origin as the portal: browsers on other origins are refused by CORS.
      cors: undefined,
      serveClient: false,
      // Foreign origins and addresses over their cap are refused before anything is read.
      allowRequest: this.gate.allowRequest,
      // A connection that has not joined a namespace by then (no handshake sent, or refused) is closed.
      connectTimeout: SOCKET_CONNECT_TIMEOUT_MS,
      // The heartbeat that tells presence a tab is gone: a silent connection (network lost,
      // laptop asleep) is noticed within about 20 s instead of Socket.IO's default 45 s; the
      // presence grace period (PRESENCE_GRACE_SECONDS) starts from there.
      pingInterval: 10_000,
      pingTimeout: 10_000,
      ...(this.options.recoveryWindowMs ? { connectionStateRecovery: { maxDisconnectionDuration: this.options.recoveryWindowMs, skipMiddlewares: false } } : {}),
    });
    this.gate.watch(server.engine);
    coalesceFlushWrites(server.engine);
    const sessions = this.app.get(SessionStore, { strict: false });
    this.sessions = sessions;
    const guard = socketAuthMiddleware(this.app.get(AccessTokens, { strict: false }), sessions);
    const sessionSockets = this.app.get(SessionSockets, { strict: false });
    sessionSockets.attach(server);
    this.sessionSockets = sessionSockets;
    const onConnection = (socket: Socket) => this.guardConnectedSocket(socket);
    server.use(guard);
    server.use(this.limits.admit);
    server.on('connection', onConnection);
    server.on('new_namespace', (namespace: Namespace) => {
      namespace.use(guard);
      namespace.use(this.limits.admit);
      namespace.on('connection', onConnection);
    });
    return server;
  }

  /** Stops the expiry sweep once Nest has closed the servers. */
  override async dispose(): Promise<void> {
    this.expiry.stop();
    await super.dispose();
  }

  /**
   * Hands on an event that passed the expiry check and the rate limit. This one lets
   * Socket.IO emit it to the socket's listeners; a subclass may dispatch it itself.
   */
  protected deliverEvent(_socket: Socket, _packet: Event, next: (err?: Error) => void): void {
    next();
  }

  /** Called once a socket disconnected, after the adapter's own cleanup; a subclass may tell more parties. */
  protected socketDisconnected(_socket: Socket): void {
    // Nothing more here.
  }

  private guardConnectedSocket(socket: Socket): void {
    socket.on('disconnect', this.socketClosed);
    const { user, sessionId } = socket.data as SocketData;
    this.sessionSockets?.join(socket, sessionId);
    // A sign-out between the handshake's check and this join closed the session's room without
    // this socket in it: one more read, now that the socket is in the room, closes that gap.
    void this.sessions?.isOpen(sessionId, user.id).then(
      (open) => open || socket.disconnect(true),
      () => undefined,
    );
    this.expiry.track(socket);
    socket.use((packet, next) => {
      if (!this.expiry.refuseExpired(socket, packet) && this.limits.allows(socket, packet)) this.deliverEvent(socket, packet, next);
    });
    connectionsLog.log({ msg: 'socket connected', socketId: socket.id, userId: user.id, role: user.role });
  }
}
