import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { IoAdapter } from '@nestjs/platform-socket.io';
import type { Histogram } from 'prom-client';
import { isObservable, type Observable } from 'rxjs';
import type { Event, Namespace, Socket } from 'socket.io';
import { AuthenticatedIoAdapter, type AuthenticatedIoAdapterOptions } from '../auth/socket-auth';
import { withLogBindings } from '../logger';

/** One gateway's `@SubscribeMessage` events on one namespace: built once, shared by its sockets. */
interface HandlerTable {
  messages: readonly unknown[];
  indexOf: ReadonlyMap<unknown, number>;
  ackHandledManually: readonly boolean[];
}

/** One socket's handlers for one gateway: Nest's callbacks (already bound to the socket), in table order. */
interface BoundHandlers {
  table: HandlerTable;
  callbacks: readonly MessageMappingProperties['callback'][];
}

// @nestjs/platform-socket.io declares its sockets with its own copy of socket.io's types.
type NestSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

const logger = new Logger('SocketEvents');

/**
 * The app's Socket.IO adapter ({@link AuthenticatedIoAdapter}) with a cheaper event path than
 * Nest's `IoAdapter`, which subscribes an RxJS pipeline per `@SubscribeMessage` handler on
 * every socket (a listener, a `mergeMap`, a `takeUntil(disconnect)` each). Here a socket costs
 * one entry holding the callbacks Nest hands over; the event name → handler table is built once
 * per namespace and gateway, and the event is dispatched from the socket's one packet
 * middleware, after the expiry check and the rate limit.
 *
 * Nest's semantics are kept: the callbacks already apply `@ConnectedSocket()`/`@MessageBody()`
 * (and any pipes, guards, filters); the payload and ack are split as `IoAdapter.mapPayload`
 * does; a resolved value other than null/undefined answers the ack (unless the handler takes
 * the ack itself with `@Ack()`), or is emitted when it is a `{ event, data }` response; each
 * value of an Observable result is answered the same way. An event no gateway subscribed to is
 * passed on to plain `socket.on` listeners, if any; otherwise it is ignored.
 */
export class DispatchingIoAdapter extends AuthenticatedIoAdapter {
  private readonly tables = new WeakMap<Namespace, HandlerTable[]>();
  private readonly handlersOf = new WeakMap<Socket, BoundHandlers | BoundHandlers[]>();

  /**
   * `options` are the {@link AuthenticatedIoAdapter}'s (the handshake gate, connection state recovery);
   * `eventDurations` times each handled event, from dispatch to ack, by event name.
   */
  constructor(
    app: INestApplicationContext,
    options: AuthenticatedIoAdapterOptions = {},
    private readonly eventDurations?: Histogram<'event'>,
  ) {
    super(app, options);
  }

  /** Keeps the socket's callbacks for {@link deliverEvent}; Nest's `transform` is not needed (results are awaited directly). */
  override bindMessageHandlers(client: NestSocket, handlers: MessageMappingProperties[], _transform?: (data: unknown) => Observable<unknown>): void {
    const socket = client as unknown as Socket;
    const bound: BoundHandlers = { table: this.tableFor(socket.nsp, handlers), callbacks: handlers.map((h) => h.callback) };
    const earlier = this.handlersOf.get(socket);
    // Usually one gateway per namespace; a second one on the same socket is kept beside the first.
    this.handlersOf.set(socket, earlier === undefined ? bound : [...(Array.isArray(earlier) ? earlier : [earlier]), bound]);
  }

  /** Runs the gateway handler of the event, if there is one. */
  protected override deliverEvent(socket: Socket, packet: Event, next: (err?: Error) => void): void {
    const entry = this.handlersOf.get(socket);
    for (const bound of entry === undefined ? [] : Array.isArray(entry) ? entry : [entry]) {
      const index = bound.table.indexOf.get(packet[0]);
      if (index === undefined) continue;
      // As Socket.IO does before emitting: a packet read after the disconnection is dropped.
      if (socket.connected) runHandler(socket, bound.callbacks[index], bound.table.ackHandledManually[index], packet, this.eventDurations?.startTimer({ event: String(packet[0]) }));
      return;
    }
    next();
  }

  private tableFor(namespace: Namespace, handlers: MessageMappingProperties[]): HandlerTable {
    let tables = this.tables.get(namespace);
    if (!tables) {
      tables = [];
      this.tables.set(namespace, tables);
    }
    const known = tables.find((t) => t.messages.length === handlers.length && handlers.every((h, i) => t.messages[i] === h.message));
    if (known) return known;
    const table: HandlerTable = {
      messages: handlers.map((h) => h.message),
      indexOf: new Map(handlers.map((h, i) => [h.message, i])),
      ackHandledManually: handlers.map((h) => h.isAckHandledManually),
    };
    tables.push(table);
    return table;
  }
}

/** `{ callId }` of a payload that names a call (as the protocol's call events do), before validation: only a plausible id. */
function callOf(data: unknown): { callId?: string } {
  const callId = typeof data === 'object' && data !== null ? (data as { callId?: unknown }).callId : undefined;
  return typeof callId === 'string' && /^[\w-]{1,64}$/.test(callId) ? { callId } : {};
}

/** Calls a handler with the packet's payload and ack, and answers with what it resolves to. */
function runHandler(socket: Socket, callback: MessageMappingProperties['callback'], ackHandledManually: boolean, packet: Event, done?: () => void): void {
  const last: unknown = packet[packet.length - 1];
  const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
  const end = ack ? packet.length - 1 : packet.length;
  // IoAdapter.mapPayload: one argument is the data itself; several are passed as an array.
  const data: unknown = end === 1 ? undefined : end === 2 ? packet[1] : packet.slice(1, end);
  const answer = (response: unknown) => {
    if (response === null || response === undefined) return;
    const { event, data: eventData } = response as { event?: unknown; data?: unknown };
    if (event) socket.emit(String(event), eventData);
    else if (!ackHandledManually && ack) ack(response);
  };
  const failed = (err: unknown) => logger.error({ msg: 'socket event handler failed', event: String(packet[0]), socketId: socket.id, error: String(err) });
  // Every line logged while handling it names the event, the socket and the call it is about.
  const bindings = { event: String(packet[0]), socketId: socket.id, ...callOf(data) };
  Promise.resolve()
    .then(() => withLogBindings(bindings, () => callback(data, ack)))
    .then((result: unknown) => {
      if (!isObservable(result)) return answer(result);
      result.subscribe({ next: (value) => socket.connected && answer(value), error: failed });
    })
    .catch(failed)
    .finally(done);
}
