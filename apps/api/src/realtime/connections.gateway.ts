import { Logger } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@switchboard/call-domain';
import type { SocketData } from '../auth/socket-auth';

/** The API's typed Socket.IO server. */
export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;
/** One authenticated client connection. */
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

/**
 * Opens the Socket.IO endpoint and logs who connects and leaves. Handles no events: the call
 * gateway adds those on the same server.
 */
@WebSocketGateway()
export class ConnectionsGateway implements OnGatewayConnection<AppSocket>, OnGatewayDisconnect<AppSocket> {
  private readonly logger = new Logger('Connections');

  /** The server, for tests and for code that needs to find sockets. */
  @WebSocketServer() readonly server!: AppServer;

  /** Logs an authenticated connection. */
  handleConnection(client: AppSocket): void {
    const { id, role } = client.data.user;
    this.logger.log({ msg: 'socket connected', socketId: client.id, userId: id, role });
  }

  /** Logs a disconnection and why. */
  handleDisconnect(client: AppSocket): void {
    this.logger.log({ msg: 'socket disconnected', socketId: client.id, userId: client.data.user?.id });
  }
}
