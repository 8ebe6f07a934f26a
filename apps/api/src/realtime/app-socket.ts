import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@switchboard/call-domain';
import type { SocketData } from '../auth/socket-auth';

/** The API's typed Socket.IO server. */
export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

/** One authenticated client connection. */
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketData>;

/**
 * `{ callId }` of an event's payload that names a call (as the protocol's call events do), for
 * a log line about it: read before validation, so only a plausible id.
 */
export function callOfPayload(data: unknown): { callId?: string } {
  const callId = typeof data === 'object' && data !== null ? (data as { callId?: unknown }).callId : undefined;
  return typeof callId === 'string' && /^[\w-]{1,64}$/.test(callId) ? { callId } : {};
}
