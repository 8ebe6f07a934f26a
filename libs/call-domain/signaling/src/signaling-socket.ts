import { InjectionToken } from '@angular/core';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@switchboard/call-domain';
import { type Socket, io } from 'socket.io-client';

/** The portal's end of the call socket, typed by the shared protocol. */
export type SignalingSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A request the portal can send: every one is acknowledged. */
export type SignalingRequest = keyof ClientToServerEvents;

/** The payload of request `E`. */
export type RequestPayload<E extends SignalingRequest> = Parameters<ClientToServerEvents[E]>[0];

/** The data a successful ack of request `E` carries. */
export type AckData<E extends SignalingRequest> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never;

/** The payload of server event `E`. */
export type EventPayload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/**
 * Creates the (not yet connected) socket. The default connects to the page's own origin at
 * `/socket.io`; tests provide a fake transport or a socket aimed at a test server.
 */
export const SIGNALING_SOCKET_FACTORY = new InjectionToken<(token: () => string | null) => SignalingSocket>(
  'SIGNALING_SOCKET_FACTORY',
  { providedIn: 'root', factory: () => connectSameOrigin },
);

/**
 * The default socket: same origin, `/socket.io`, the token read afresh on each attempt so a
 * reconnection after a token refresh uses the new one. WebSocket only: several API nodes
 * then need no sticky sessions (long-polling would).
 */
export function connectSameOrigin(token: () => string | null): SignalingSocket {
  return io({
    path: '/socket.io',
    autoConnect: false,
    transports: ['websocket'],
    auth: (send) => send({ token: token() }),
  });
}

/** Tunables of signaling and media set-up. */
export interface SignalingOptions {
  /** How long a request waits for its ack before it fails. */
  ackTimeoutMs: number;
  /** How long media may take to connect once a call is accepted before it is failed. */
  mediaTimeoutMs: number;
  /**
   * The base of every peer connection's configuration. The ICE servers and transport policy
   * come from the server for each call (`getIceServers`); ICE servers set here are tried first.
   */
  rtcConfiguration: RTCConfiguration;
}

/** Defaults of {@link SignalingOptions}. */
export const DEFAULT_SIGNALING_OPTIONS: SignalingOptions = {
  ackTimeoutMs: 10_000,
  mediaTimeoutMs: 15_000,
  rtcConfiguration: {},
};

/** Overrides of {@link DEFAULT_SIGNALING_OPTIONS} (timeouts in tests). */
export const SIGNALING_OPTIONS = new InjectionToken<SignalingOptions>('SIGNALING_OPTIONS', {
  providedIn: 'root',
  factory: () => DEFAULT_SIGNALING_OPTIONS,
});
