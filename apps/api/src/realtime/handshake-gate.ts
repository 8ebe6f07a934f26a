import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import type { Server } from 'socket.io';

/** The Engine.IO server under a Socket.IO server. */
type EngineServer = Server['engine'];

/** What the gate reads of an Engine.IO connection. */
interface EngineConnection {
  request: IncomingMessage;
  on(event: 'close', listener: (this: EngineConnection) => void): unknown;
}

/** How the gate is set up (from ALLOWED_ORIGINS and MAX_CONNECTIONS_PER_ADDRESS). */
export interface HandshakeGateOptions {
  /** Origins allowed besides the API's own (exact `scheme://host[:port]`). */
  allowedOrigins: readonly string[];
  /** Most connections one client address may hold at once. */
  maxConnectionsPerAddress: number;
}

/** The refusal a foreign page's handshake gets (HTTP 403, `{ code: 4, message }`). */
export const FOREIGN_ORIGIN = 'origin_not_allowed';

/** The refusal a handshake over the per-address cap gets (HTTP 403, `{ code: 4, message }`). */
export const TOO_MANY_CONNECTIONS_FROM_ADDRESS = 'too_many_connections_from_address';

const log = new Logger('Connections');

/** How often admitted WebSocket handshakes are checked for a TCP connection closed before they became engine connections. */
export const UPGRADE_SWEEP_MS = 1_000;

/** What a handshake is counted under: a WebSocket one's TCP connection, a polling one's request. */
function countedKey(req: IncomingMessage): object {
  return req.headers.upgrade ? req.socket : req;
}

/**
 * Engine.IO's `allowRequest` for every handshake, polling and WebSocket alike, before any
 * Socket.IO packet is read:
 * - a browser page of another origin is refused (cross-site WebSocket hijacking): the
 *   `Origin` header must be the API's own host or one of `allowedOrigins`; a request without
 *   `Origin` (a same-origin polling GET, a non-browser client) passes, since browsers always
 *   send it across origins;
 * - one client address holds at most `maxConnectionsPerAddress` connections on this node,
 *   counted from the handshake until the connection closes (or the handshake fails).
 *
 * Install with `allowRequest: gate.allowRequest` and {@link watch} the engine once the server exists.
 */
export class HandshakeGate {
  private readonly open = new Map<string, number>();
  /**
   * Handshakes counted in {@link open}, until their connection closes or the handshake fails:
   * a WebSocket handshake by its TCP connection, a polling one by its request.
   */
  private readonly counted = new WeakMap<object, string>();
  /**
   * The TCP connections of WebSocket handshakes admitted but not yet engine connections. One
   * that closes before it becomes one (the upgrade failed or was abandoned) is freed by a sweep
   * every {@link UPGRADE_SWEEP_MS}, armed only while there are some: a `close` listener on every
   * TCP connection would cost each open socket a listener and a grown listener array.
   */
  private readonly upgrading = new Set<Socket>();
  private sweep: NodeJS.Timeout | undefined;
  // Shared by every connection (the emitter is `this`): no closure per connection.
  private readonly engineClosed: (this: EngineConnection) => void;

  constructor(private readonly options: HandshakeGateOptions) {
    const release = (key: object) => this.release(key);
    this.engineClosed = function (this: EngineConnection) {
      release(countedKey(this.request));
    };
  }

  /** Engine.IO's `allowRequest`: admits a handshake or refuses it with a reason. */
  readonly allowRequest = (req: IncomingMessage, answer: (err: string | null | undefined, success: boolean) => void): void => {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.isAllowedOrigin(origin, req.headers.host)) {
      log.warn({ msg: 'handshake refused', reason: FOREIGN_ORIGIN, origin, address: req.socket.remoteAddress ?? null });
      answer(FOREIGN_ORIGIN, false);
      return;
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    const held = this.open.get(address) ?? 0;
    if (held >= this.options.maxConnectionsPerAddress) {
      log.warn({ msg: 'handshake refused', reason: TOO_MANY_CONNECTIONS_FROM_ADDRESS, address, held });
      answer(TOO_MANY_CONNECTIONS_FROM_ADDRESS, false);
      return;
    }
    this.open.set(address, held + 1);
    this.counted.set(countedKey(req), address);
    // A WebSocket handshake's TCP connection lives as long as the engine connection: its end
    // also frees the place if the upgrade never became a connection.
    if (req.headers.upgrade) this.watchUpgrade(req.socket);
    answer(null, true);
  };

  /** Frees each counted place when its connection closes or its handshake fails. */
  watch(engine: EngineServer): void {
    engine.on('connection', (socket: EngineConnection) => {
      this.upgrading.delete(countedKey(socket.request) as Socket);
      socket.on('close', this.engineClosed);
    });
    engine.on('connection_error', (err: { req?: IncomingMessage }) => {
      if (err.req) this.release(countedKey(err.req));
    });
  }

  /** How many connections `address` holds (for tests). */
  connectionsFrom(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Frees the place of an admitted WebSocket handshake whose TCP connection closes before it becomes an engine connection. */
  private watchUpgrade(tcp: Socket): void {
    this.upgrading.add(tcp);
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      for (const pending of this.upgrading) if (pending.destroyed) this.release(pending);
      if (this.upgrading.size > 0) return;
      clearInterval(this.sweep);
      this.sweep = undefined;
    }, UPGRADE_SWEEP_MS);
    this.sweep.unref();
  }

  private release(key: object): void {
    this.upgrading.delete(key as Socket);
    const address = this.counted.get(key);
    if (address === undefined) return;
    this.counted.delete(key);
    const left = (this.open.get(address) ?? 1) - 1;
    if (left > 0) this.open.set(address, left);
    else this.open.delete(address);
  }

  private isAllowedOrigin(origin: string, host: string | undefined): boolean {
    if (this.options.allowedOrigins.includes(origin)) return true;
    if (!URL.canParse(origin)) return false;
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host.toLowerCase();
  }
}
