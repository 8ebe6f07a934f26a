import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Where {@link freeRestartablePort} looks: from here to the kernel's ephemeral range. */
const RESTARTABLE_FROM = 10_000;

/**
 * A free loopback port below the kernel's ephemeral range, for a server a test stops and
 * starts again on the same port (an API node SIGKILLed and restarted, a private redis-server
 * killed for an outage). A port of the ephemeral range (what `listen(0)` gives)
 * can be taken while that server is down by any process's outgoing connection or `listen(0)` —
 * with the end-to-end suites running in two processes at once, the other one's — and the
 * restart would fail with EADDRINUSE; no process is given a port below that range unasked.
 */
export async function freeRestartablePort(): Promise<number> {
  const ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  const to = Number.isInteger(ephemeralFrom) && ephemeralFrom > RESTARTABLE_FROM + 1000 ? ephemeralFrom : 32_768;
  for (let tries = 0; tries < 100; tries++) {
    const port = RESTARTABLE_FROM + Math.floor(Math.random() * (to - RESTARTABLE_FROM));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free loopback port between ${RESTARTABLE_FROM} and ${to} in 100 tries`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
