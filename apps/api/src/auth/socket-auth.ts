import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { SessionUser } from '@switchboard/call-domain';
import { UserSocketLimits } from '../realtime/socket-rate-limit';
import { AccessTokens } from './access-tokens';

/** The message of the `connect_error` a client gets when its token is refused. */
export const SOCKET_UNAUTHORIZED = 'unauthorized';

/** Largest Socket.IO message accepted (bytes): SDP offers fit with room to spare. */
export const SOCKET_MAX_BUFFER_SIZE = 100_000;

/** What the API keeps on `socket.data`: the user verified at the handshake. */
export interface SocketData {
  user: SessionUser;
  /** When the handshake's token expires (ms since the epoch; null if it has no `exp`): the socket is closed then. */
  expiresAt: number | null;
}

/** What an event sent after the socket's token expired acks with (the socket is then closed). */
export const SESSION_EXPIRED_ACK = { ok: false, error: { code: 'unauthorized', message: 'Your session has expired' } } as const;

/** Longest `setTimeout` delay Node accepts (about 24.8 days); longer expiries re-arm the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Holds a socket only as long as its token: at `socket.data.expiresAt` the server disconnects
 * it (the client sees `io server disconnect` and does not reconnect by itself; it must sign in
 * again). The timer is cleared when the socket goes. Events that arrive after the expiry but
 * before the timer fired are refused with {@link SESSION_EXPIRED_ACK}, and the socket closed.
 */
export function expireWithToken(socket: Socket, clock: () => number = Date.now): void {
  const { expiresAt } = socket.data as SocketData;
  if (expiresAt === null || expiresAt === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = expiresAt - clock();
    if (left <= 0) {
      socket.disconnect(true);
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  socket.use((packet, next) => {
    if (clock() < expiresAt) {
      next();
      return;
    }
    const ack = packet[packet.length - 1];
    if (typeof ack === 'function') ack(SESSION_EXPIRED_ACK);
    socket.disconnect(true);
  });
  socket.once('disconnect', () => clearTimeout(timer));
  arm();
}

/**
 * Socket.IO middleware that admits a connection only with a valid access token in
 * `handshake.auth.token` (as sent by `io(url, { auth: { token } })`) and puts the verified
 * user on `socket.data.user`, the token's expiry on `socket.data.expiresAt`. Anything else
 * fails the handshake: the client gets a `connect_error` whose message is
 * {@link SOCKET_UNAUTHORIZED}.
 */
export function socketAuthMiddleware(tokens: AccessTokens): (socket: Socket, next: (err?: Error) => void) => void {
  return (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const session = tokens.verifySession(auth?.token);
    if (!session) {
      next(new Error(SOCKET_UNAUTHORIZED));
      return;
    }
    Object.assign(socket.data as SocketData, session satisfies SocketData);
    next();
  };
}

const connectionsLog = new Logger('Connections');

/** Logs an authenticated connection, and its end with the reason. */
function logConnection(socket: Socket): void {
  const { id: userId, role } = (socket.data as SocketData).user;
  connectionsLog.log({ msg: 'socket connected', socketId: socket.id, userId, role });
  socket.once('disconnect', (reason) => connectionsLog.log({ msg: 'socket disconnected', socketId: socket.id, userId, reason }));
}

/**
 * The app's Socket.IO adapter: one server on the HTTP server's origin and port, path
 * `/socket.io`, messages up to {@link SOCKET_MAX_BUFFER_SIZE}, and every namespace guarded by
 * {@link socketAuthMiddleware}, then capped and rate-limited per user ({@link UserSocketLimits},
 * per node); every socket is closed when its token expires ({@link expireWithToken}) and its
 * connection and disconnection are logged.
 *
 * How a gateway uses it: nothing to do. Declare `@WebSocketGateway()` (or with a
 * `namespace`) in a module, and every socket reaching its handlers is already authenticated:
 * read the user with `(client.data as SocketData).user` and type the server as
 * `Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>`.
 * Code that builds its own Socket.IO server (e.g. a test) applies the same check with
 * `io.use(socketAuthMiddleware(app.get(AccessTokens)))`.
 */
export class AuthenticatedIoAdapter extends IoAdapter {
  constructor(private readonly app: INestApplicationContext) {
    super(app);
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
      // The heartbeat that tells presence a tab is gone: a silent connection (network lost,
      // laptop asleep) is noticed within about 20 s instead of Socket.IO's default 45 s; the
      // presence grace period (PRESENCE_GRACE_SECONDS) starts from there.
      pingInterval: 10_000,
      pingTimeout: 10_000,
    });
    const guard = socketAuthMiddleware(this.app.get(AccessTokens, { strict: false }));
    const limits = new UserSocketLimits();
    const onConnection = (socket: Socket) => {
      expireWithToken(socket);
      limits.install(socket);
      logConnection(socket);
    };
    server.use(guard);
    server.use(limits.admit);
    server.on('connection', onConnection);
    server.on('new_namespace', (namespace: Namespace) => {
      namespace.use(guard);
      namespace.use(limits.admit);
      namespace.on('connection', onConnection);
    });
    return server;
  }
}
