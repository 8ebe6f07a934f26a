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
  let url: string;
  let client: ClientSocket;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    app.useWebSocketAdapter(new DispatchingIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  beforeEach(async () => {
    const token = await app.get(AccessTokens).issue({ id: 'u-7', username: 'sam', role: 'agent', displayName: 'Sam' }, 's-7');
    client = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('connect_error', reject));
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
});
