import { createServer } from 'node:net';

/** A free TCP port on the loopback interface (for a server a test starts: an API node, a private redis-server). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}
