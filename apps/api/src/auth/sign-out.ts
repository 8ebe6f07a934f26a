import { Injectable } from '@nestjs/common';
import { SessionSockets } from './session-sockets';
import { SessionStore } from './session-store';

/**
 * Ends sign-in sessions: in the database first (every node then refuses their tokens, over
 * HTTP and at the socket handshake), then their open sockets on every node.
 */
@Injectable()
export class SignOut {
  constructor(
    private readonly sessions: SessionStore,
    private readonly sockets: SessionSockets,
  ) {}

  /** Ends one session: the user signed out. */
  async session(sessionId: string): Promise<void> {
    await this.sessions.end(sessionId);
    this.sockets.close([sessionId]);
  }

  /** Ends every session of `userId` (a supervisor signed them out everywhere); returns how many were open. */
  async everywhere(userId: string): Promise<number> {
    const ended = await this.sessions.endAllOf(userId);
    this.sockets.close(ended);
    return ended.length;
  }
}
