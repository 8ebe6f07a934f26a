import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { coalesceFlushWrites } from './coalesced-writes';

/** A real Socket.IO server on loopback, with or without the coalesced flushes, and one WebSocket client. */
async function serve(coalesced: boolean): Promise<{ server: Server; http: HttpServer; client: ClientSocket; socket: Socket }> {
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'] });
  if (coalesced) coalesceFlushWrites(server.engine);
  const connected = new Promise<Socket>((resolve) => server.on('connection', resolve));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], reconnection: false });
  const socket = await connected;
  await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
  return { server, http, client, socket };
}

/** Counts the writes the server's TCP socket of `socket` makes (one system call each). */
function countWrites(socket: Socket): () => number {
  const tcp = (socket.conn.transport as unknown as { socket: { _socket: TcpSocket } }).socket._socket;
  let writes = 0;
  const methods = tcp as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  for (const name of ['_write', '_writev'] as const) {
    const original = methods[name].bind(tcp);
    methods[name] = (...args: unknown[]) => {
      writes++;
      original(...args);
    };
  }
  return () => writes;
}

describe('coalesceFlushWrites', () => {
  let running: Awaited<ReturnType<typeof serve>> | null = null;

  afterEach(async () => {
    running?.client.close();
    await new Promise<void>((resolve) => (running ? running.server.close(() => resolve()) : resolve()));
    running = null;
  });

  async function burst(coalesced: boolean): Promise<{ received: number[]; writes: number }> {
    running = await serve(coalesced);
    const { client, socket } = running;
    const writes = countWrites(socket);
    const received: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('n', (n: number) => {
        received.push(n);
        if (received.length === 20) resolve();
      }),
    );
    // One tick's emits: the first is written at once, the rest queue behind it and go in one flush.
    for (let n = 0; n < 20; n++) socket.emit('n', n);
    await all;
    return { received, writes: writes() };
  }

  it('sends the packets queued behind a write as one write to the TCP socket, all of them, in order', async () => {
    const { received, writes } = await burst(true);
    expect(received).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(writes).withContext('the first packet, then the other 19 together').toBeLessThanOrEqual(3);
  });

  it('is what makes the difference: without it each packet is a write of its own', async () => {
    const { received, writes } = await burst(false);
    expect(received.length).toBe(20);
    expect(writes).toBeGreaterThanOrEqual(19);
  });
});
