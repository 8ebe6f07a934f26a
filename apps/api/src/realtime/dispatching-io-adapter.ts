import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core/application-config';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { NestGateway } from '@nestjs/websockets/interfaces/nest-gateway.interface';
import { WebSocketsController } from '@nestjs/websockets/web-sockets-controller';
import type { IoAdapter } from '@nestjs/platform-socket.io';
import type { Histogram } from 'prom-client';
import { isObservable, type Observable } from 'rxjs';
import type { Event, Namespace, Socket } from 'socket.io';
import { AuthenticatedIoAdapter, type AuthenticatedIoAdapterOptions } from '../auth/socket-auth';
import { callOfPayload } from './app-socket';

/**
 * One gateway's `@SubscribeMessage` handlers on one namespace, as Nest builds them once per
 * gateway (each already applies `@ConnectedSocket()`/`@MessageBody()`, pipes, guards and
 * filters, and takes `(socket, data, ack)`): shared by every socket of the namespace.
 */
interface GatewayTable {
  instance: NestGateway;
  /** Nest's list for the gateway (the same array for every socket): identifies the table. */
  subscribers: readonly MessageMappingProperties[];
  indexOf: ReadonlyMap<unknown, number>;
}

// @nestjs/platform-socket.io declares its sockets with its own copy of socket.io's types.
type NestSocket = Parameters<IoAdapter['bindMessageHandlers']>[0];

const logger = new Logger('SocketEvents');

/**
 * The app's Socket.IO adapter ({@link AuthenticatedIoAdapter}) with an event path that costs a
 * socket nothing. Nest's own path binds every `@SubscribeMessage` handler to every socket
 * (`callback.bind(gateway, socket)`, ~70 bytes each) and hands those to `IoAdapter`, which
 * subscribes an RxJS pipeline per handler on the socket; it also adds a `disconnect` listener
 * closure per socket and gateway. Here Nest's per-socket step ({@link installSharedGatewayHandlers})
 * registers the gateway's handler table once per namespace instead, events are dispatched from
 * the socket's one packet middleware (after the expiry check and the rate limit) by looking the
 * event up in its namespace's tables, and `handleDisconnect` is called from the adapter's
 * shared `disconnect` listener.
 *
 * Nest's semantics are kept: the handlers apply `@ConnectedSocket()`/`@MessageBody()` (and any
 * pipes, guards, filters); the payload and ack are split as `IoAdapter.mapPayload` does; a
 * resolved value other than null/undefined answers the ack (unless the handler takes the ack
 * itself with `@Ack()`), or is emitted when it is a `{ event, data }` response; each value of
 * an Observable result is answered the same way; `handleConnection` still comes from Nest,
 * `handleDisconnect(socket)` once per socket after the adapter's own cleanup. An event no
 * gateway subscribed to is passed on to plain `socket.on` listeners, if any; otherwise it is ignored.
 */
export class DispatchingIoAdapter extends AuthenticatedIoAdapter {
  private readonly tables = new WeakMap<Namespace, GatewayTable[]>();
  private readonly eventSeries = new Map<string, ReturnType<Histogram<'event'>['labels']>>();

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
    installSharedGatewayHandlers();
  }

  /**
   * Called by Nest for each new socket and gateway (see {@link installSharedGatewayHandlers}):
   * registers the gateway's table on the socket's namespace the first time; nothing is kept per socket.
   */
  bindGateway(socket: Socket, subscribers: readonly MessageMappingProperties[], instance: NestGateway): void {
    let tables = this.tables.get(socket.nsp);
    if (!tables) {
      tables = [];
      this.tables.set(socket.nsp, tables);
    }
    if (tables.some((t) => t.subscribers === subscribers)) return;
    tables.push({ instance, subscribers, indexOf: new Map(subscribers.map((h, i) => [h.message, i])) });
  }

  /** The gateway tables serving `namespace`'s sockets (for tests: one per gateway, however many sockets). */
  gatewaysOf(namespace: Namespace): readonly GatewayTable[] {
    return this.tables.get(namespace) ?? [];
  }

  /** Not used: Nest's per-socket step is replaced by {@link bindGateway}, which binds nothing to the socket. */
  override bindMessageHandlers(_client: NestSocket, _handlers: MessageMappingProperties[], _transform?: (data: unknown) => Observable<unknown>): void {
    throw new Error('DispatchingIoAdapter: Nest bound handlers per socket; installSharedGatewayHandlers() did not take effect');
  }

  /** Nothing per socket: the gateways' `handleDisconnect` is called by {@link socketDisconnected}. */
  override bindClientDisconnect(_client: NestSocket, _callback: () => void): void {
    // The shared `disconnect` listener (AuthenticatedIoAdapter) covers every gateway.
  }

  /** After the adapter's own cleanup: each gateway of the namespace hears of the disconnection, as Nest would tell it. */
  protected override socketDisconnected(socket: Socket): void {
    for (const { instance } of this.gatewaysOf(socket.nsp)) {
      try {
        instance.handleDisconnect?.(socket);
      } catch (err) {
        logger.error({ msg: 'gateway disconnect handling failed', socketId: socket.id, error: String(err) });
      }
    }
  }

  /** The event's series of the duration histogram, looked up once per handled event name (labelling each event hashes its labels). */
  private timerOf(event: string): ReturnType<Histogram<'event'>['labels']> | undefined {
    if (!this.eventDurations) return undefined;
    let series = this.eventSeries.get(event);
    if (!series) this.eventSeries.set(event, (series = this.eventDurations.labels({ event })));
    return series;
  }

  /** Runs the gateway handler of the event, if there is one. */
  protected override deliverEvent(socket: Socket, packet: Event, next: (err?: Error) => void): void {
    for (const table of this.gatewaysOf(socket.nsp)) {
      const index = table.indexOf.get(packet[0]);
      if (index === undefined) continue;
      // As Socket.IO does before emitting: a packet read after the disconnection is dropped.
      if (socket.connected) runHandler(socket, table.instance, table.subscribers[index], packet, this.timerOf(String(packet[0]))?.startTimer());
      return;
    }
    next();
  }
}

/** Nest's step that binds a gateway's handlers to a new socket (public on `WebSocketsController`). */
type SubscribeMessages = (this: WebSocketsController, subscribers: MessageMappingProperties[], client: unknown, instance: NestGateway) => void;

let installed = false;

/**
 * Makes Nest hand a new socket's gateway to {@link DispatchingIoAdapter.bindGateway} (the
 * gateway's handler list and instance, unbound) instead of binding each handler to the socket
 * and calling `bindMessageHandlers`, when the app's adapter is a `DispatchingIoAdapter`; apps
 * with another adapter keep Nest's behaviour. Nest offers no other hook before the per-socket
 * `bind`; its unit test fails if a Nest upgrade moves this step (then `bindMessageHandlers` throws).
 */
function installSharedGatewayHandlers(): void {
  if (installed) return;
  installed = true;
  const prototype = WebSocketsController.prototype as unknown as { subscribeMessages: SubscribeMessages };
  const nestSubscribe = prototype.subscribeMessages;
  prototype.subscribeMessages = function (this: WebSocketsController, subscribers, client, instance) {
    const adapter = (this as unknown as { config: ApplicationConfig }).config.getIoAdapter();
    if (adapter instanceof DispatchingIoAdapter) adapter.bindGateway(client as Socket, subscribers, instance);
    else nestSubscribe.call(this, subscribers, client, instance);
  };
}

/** Calls a handler with the packet's payload and ack, and answers with what it resolves to. */
function runHandler(socket: Socket, gateway: NestGateway, handler: MessageMappingProperties, packet: Event, done?: () => void): void {
  const last: unknown = packet[packet.length - 1];
  const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
  const end = ack ? packet.length - 1 : packet.length;
  // IoAdapter.mapPayload: one argument is the data itself; several are passed as an array.
  const data: unknown = end === 1 ? undefined : end === 2 ? packet[1] : packet.slice(1, end);
  const answer = (response: unknown) => {
    if (response === null || response === undefined) return;
    const { event, data: eventData } = response as { event?: unknown; data?: unknown };
    if (event) socket.emit(String(event), eventData);
    else if (!handler.isAckHandledManually && ack) ack(response);
  };
  const failed = (err: unknown) => logger.error({ msg: 'socket event handler failed', event: String(packet[0]), socketId: socket.id, ...callOfPayload(data), error: String(err) });
  Promise.resolve()
    .then(() => handler.callback.call(gateway, socket, data, ack))
    .then((result: unknown) => {
      if (!isObservable(result)) return answer(result);
      result.subscribe({ next: (value) => socket.connected && answer(value), error: failed });
    })
    .catch(failed)
    .finally(done);
}
