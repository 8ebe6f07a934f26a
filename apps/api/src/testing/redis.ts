import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createClient } from 'redis';
import { freeRestartablePort } from './ports';

/** Deletes the keys a test run left under `prefix` (the socket stream and recovery sessions) on a shared Redis. */
export async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.quit();
  }
}

/** A Redis server of the test's own, on a free loopback port, that the test can stop and start again. */
export class PrivateRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  /** Starts `redis-server` (REDIS_SERVER_BIN, else Debian's) on a free port, without persistence. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freeRestartablePort());
    await redis.resume();
    return redis;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port (empty: nothing is persisted), once it answers. */
  async resume(): Promise<void> {
    if (this.child) return;
    const bin = process.env['REDIS_SERVER_BIN'] ?? '/usr/bin/redis-server';
    const child = spawn(bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${bin} exited (${child.exitCode}) on port ${this.port}`);
      if (await answers(this.port)) return;
      if (Date.now() > deadline) throw new Error(`${bin} did not answer on port ${this.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open and take commands, nothing is answered.
   * `stop()` then kills it with those commands in flight.
   */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Kills the server (every client connection drops) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}


/** Whether a Redis server answers PING on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    for (const event of ['error', 'timeout']) socket.once(event, () => {
      socket.destroy();
      resolve(false);
    });
  });
}
