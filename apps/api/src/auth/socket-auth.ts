import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { SessionUser } from '@switchboard/call-domain';
import { limitSocketEvents } from '../realtime/socket-rate-limit';
import { AccessTokens } from './access-tokens';

/** The message of the `connect_error` a client gets when its token is refused. */
export const SOCKET_UNAUTHORIZED = 'unauthorized';

/** Largest Socket.IO message accepted (bytes): SDP offers fit with room to spare. */
export const SOCKET_MAX_BUFFER_SIZE = 100_000;

/** What the API keeps on `socket.data`: the user verified at the handshake. */
export interface SocketData {
  user: SessionUser;
}

/**
 * Socket.IO middleware that admits a connection only with a valid access token in
 * `handshake.auth.token` (as sent by `io(url, { auth: { token } })`) and puts the verified
 * user on `socket.data.user`. Anything else fails the handshake: the client gets a
 * `connect_error` whose message is {@link SOCKET_UNAUTHORIZED}.
 */
export function socketAuthMiddleware(tokens: AccessTokens): (socket: Socket, next: (err?: Error) => void) => void {
  return (socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    const user = tokens.verify(auth?.token);
    if (!user) {
      next(new Error(SOCKET_UNAUTHORIZED));
      return;
    }
    (socket.data as SocketData).user = user;
    next();
  };
}

/**
 * The app's Socket.IO adapter: one server on the HTTP server's origin and port, path
 * `/socket.io`, messages up to {@link SOCKET_MAX_BUFFER_SIZE}, and every namespace guarded by
 * {@link socketAuthMiddleware}; every socket's events are rate-limited ({@link limitSocketEvents}).
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
    server.use(guard);
    server.on('connection', limitSocketEvents);
    server.on('new_namespace', (namespace: Namespace) => {
      namespace.use(guard);
      namespace.on('connection', limitSocketEvents);
    });
    return server;
  }
}
