import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { AccessTokens } from '../auth/access-tokens';
import { SessionSockets } from '../auth/session-sockets';
import { SessionStore } from '../auth/session-store';
import type { SocketData } from '../auth/socket-auth';
import { DispatchingIoAdapter } from './dispatching-io-adapter';

const SECRET = 'dispatch-spec-secret-dispatch-spec-secret';

@WebSocketGateway()
class ProbeGateway {
  @WebSocketServer() server!: Server;
  /** The sockets `handleDisconnect` was called with, in order. */
  readonly disconnected: string[] = [];

  handleDisconnect(socket: Socket): void {
    this.disconnected.push(socket.id);
  }

  @SubscribeMessage('whoAmI')
  whoAmI(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<unknown> {
    return Promise.resolve({ ok: true, data: { body, userId: (socket.data as SocketData).user.id, socketId: socket.id } });
  }

  @SubscribeMessage('pair')
  pair(@MessageBody() body: unknown): unknown {
    return { ok: true, data: body };
  }

  @SubscribeMessage('announce')
  announce(@MessageBody() body: unknown): unknown {
    return { event: 'announced', data: body };
  }

  @SubscribeMessage('silent')
  silent(): undefined {
    return undefined;
  }

  @SubscribeMessage('explode')
  explode(): Promise<unknown> {
    return Promise.reject(new Error('boom'));
  }
}

@Module({
  providers: [
    ProbeGateway,
    AccessTokens,
    SessionSockets,
    // Sign-in sessions are the API's business (auth e2e); here every session is open.
    { provide: SessionStore, useValue: { isOpen: () => Promise.resolve(true) } satisfies Pick<SessionStore, 'isOpen'> },
    { provide: JwtService, useValue: new JwtService({ secret: SECRET, signOptions: { expiresIn: 600 } }) },
  ],
})
class ProbeModule {}

describe('DispatchingIoAdapter', () => {
  let app: INestApplication;
  let adapter: DispatchingIoAdapter;
  let url: string;
  let client: ClientSocket;

  const connect = async (): Promise<ClientSocket> => {
    const token = await app.get(AccessTokens).issue({ id: 'u-7', username: 'sam', role: 'agent', displayName: 'Sam' }, 's-7');
    const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    return socket;
  };

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    adapter = new DispatchingIoAdapter(app);
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  beforeEach(async () => {
    client = await connect();
  });
  afterEach(() => client.disconnect());
  afterAll(() => app.close());

  const serverSocket = () => app.get(ProbeGateway).server.of('/').sockets.get(client.id ?? '') as Socket;

  it('runs the handler with @ConnectedSocket() and @MessageBody(), and acks with its resolved value', async () => {
    expect(await client.emitWithAck('whoAmI', { hello: 1 })).toEqual({ ok: true, data: { body: { hello: 1 }, userId: 'u-7', socketId: serverSocket().id } });
  });

  it('passes several arguments as one array body, as Nest’s IoAdapter does', async () => {
    expect(await client.emitWithAck('pair', 'a', 'b')).toEqual({ ok: true, data: ['a', 'b'] });
    expect(await client.emitWithAck('pair')).toEqual({ ok: true });
  });

  it('emits a `{ event, data }` result as that event instead of acking it', async () => {
    const announced = new Promise((resolve) => client.once('announced', resolve));
    client.emit('announce', { n: 3 });
    expect(await announced).toEqual({ n: 3 });
  });

  it('ignores unknown events and handlers that answer nothing or fail, and keeps serving the socket', async () => {
    let answers = 0;
    client.emit('noSuchEvent', {}, () => answers++);
    client.emit('silent', {}, () => answers++);
    client.emit('explode', {}, () => answers++);
    // Events are handled in order: this ack comes after the three above were dealt with.
    expect(await client.emitWithAck('pair', 'later')).toEqual({ ok: true, data: 'later' });
    expect(answers).toBe(0);
    expect(client.connected).toBeTrue();
  });

  it('adds no listener per handler to the socket (Nest’s IoAdapter adds one each, with an RxJS pipeline)', () => {
    const socket = serverSocket();
    for (const event of ['whoAmI', 'pair', 'announce', 'silent', 'explode']) expect(socket.listenerCount(event)).withContext(event).toBe(0);
  });

  it('keeps one handler table per gateway and namespace, shared by every socket, and binds nothing to a socket', async () => {
    // Nest would bind each handler to each new socket and hand them to bindMessageHandlers (which throws here).
    const perSocket = spyOn(adapter, 'bindMessageHandlers').and.callThrough();
    const others = await Promise.all([connect(), connect(), connect()]);
    try {
      const namespace = app.get(ProbeGateway).server.of('/');
      const [table] = adapter.gatewaysOf(namespace);
      expect(adapter.gatewaysOf(namespace).length).toBe(1);
      expect(table.instance).toBe(app.get(ProbeGateway));
      expect(perSocket).not.toHaveBeenCalled();
      // Every socket is served from the same table.
      for (const other of others) expect(await other.emitWithAck('pair', other.id)).toEqual({ ok: true, data: other.id });
      expect(adapter.gatewaysOf(namespace)).toEqual([table]);
    } finally {
      for (const other of others) other.disconnect();
    }
  });

  it('tells the gateway of each disconnection once, from the shared listener, with no disconnect listener per gateway', async () => {
    const socket = serverSocket();
    // The adapter's own listener only: Nest's IoAdapter adds one closure per gateway and socket.
    expect(socket.listenerCount('disconnect')).toBe(1);
    const closed = new Promise((resolve) => socket.once('disconnect', resolve));
    client.disconnect();
    await closed;
    expect(app.get(ProbeGateway).disconnected.filter((id) => id === socket.id)).toEqual([socket.id]);
  });
});
