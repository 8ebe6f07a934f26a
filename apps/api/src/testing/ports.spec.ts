import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freeRestartablePort } from './ports';

describe('freeRestartablePort', () => {
  it('gives a port below the ephemeral range that a server can listen on, again after it stopped', async () => {
    const ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const port = await freeRestartablePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralFrom);
    for (let run = 0; run < 2; run++) {
      const server = await new Promise<Server>((done, fail) => {
        const s = createServer();
        s.once('error', fail);
        s.listen(port, '127.0.0.1', () => done(s));
      });
      await new Promise((done) => server.close(done));
    }
  });
});
