import { Injectable } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';

/** The room of every socket opened with one sign-in session's token, on every node. */
export function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}

/**
 * The sockets of sign-in sessions: each socket joins its session's room when it connects,
 * and ending a session closes that room's sockets on every node (through the Socket.IO
 * adapter, Redis-backed with several nodes). Sockets are checked against the session store
 * once, at the handshake; an ended session is shut out by closing them, not by a read per event.
 */
@Injectable()
export class SessionSockets {
  private server: Server | null = null;

  /** Called by the Socket.IO adapter once the server exists. */
  attach(server: Server): void {
    this.server = server;
  }

  /** Puts a connected socket in its session's room. */
  join(socket: Socket, sessionId: string): void {
    void socket.join(sessionRoom(sessionId));
  }

  /** Disconnects every socket of these sessions, on every node (the clients see `io server disconnect`). */
  close(sessionIds: readonly string[]): void {
    if (!this.server || sessionIds.length === 0) return;
    this.server.in(sessionIds.map(sessionRoom)).disconnectSockets(true);
  }
}
