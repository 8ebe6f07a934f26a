import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where {@link freeRestartablePort} looks: from here to the kernel's ephemeral range. */
const RESTARTABLE_FROM = 10_000;

/**
 * A free port below the kernel's ephemeral range, for a server a test stops and
 * starts again on the same port (an API node SIGKILLed and restarted, a private redis-server
 * killed for an outage). A port of the ephemeral range (what `listen(0)` gives)
 * can be taken while that server is down by any process's outgoing connection or `listen(0)` —
 * with the end-to-end suites running in two processes at once, the other one's — and the
 * restart would fail with EADDRINUSE; no process is given a port below that range unasked.
 */
export async function freeRestartablePort(): Promise<number> {
  const to = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  if (!Number.isInteger(to) || to < RESTARTABLE_FROM + 1000) throw new Error(`the kernel's ephemeral ports start at ${to}: no room below them from ${RESTARTABLE_FROM}`);
  for (let tries = 0; tries < 100; tries++) {
    const port = RESTARTABLE_FROM + Math.floor(Math.random() * (to - RESTARTABLE_FROM));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${RESTARTABLE_FROM} and ${to} in 100 tries`);
}

/** Whether nothing listens on `port` on any address: the API listens on all of them (`::`). */
function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, () => server.close(() => done(true)));
  });
}
