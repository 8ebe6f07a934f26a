import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// npm scripts run from the workspace root, where dist/ is.
const ROOT = process.cwd();

/**
 * The Node flags `npm start` runs the API with (`apps/api/node-flags.json`, read by
 * `tools/api-node-flags.mjs` there): what starts the API here does so with them too.
 */
export const API_NODE_FLAGS: readonly string[] = JSON.parse(readFileSync(join(ROOT, 'apps/api/node-flags.json'), 'utf8'));

/** The built product (dist/) running as one Node process on a free port with a fresh database. */
export interface AppServer {
  baseUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Finds a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** What to store in the new data directory before the app starts, besides the demo accounts. */
export interface AppServerOptions {
  /**
   * Arguments of `npm run seed:month` (`dist/api/tools/src/seed-month.js`), e.g.
   * `['--end', '2026-11-23']`: a month of calls is stored before the app starts.
   */
  seedMonth?: string[];
  /**
   * Runs the app inside this network namespace (see `NatTopology`), listening on
   * `listenAddress` (port 3000), instead of on the host's loopback.
   */
  netns?: { name: string; listenAddress: string };
}

/**
 * Starts `dist/api/apps/api/src/main.js` (which serves `dist/portal/browser`) on a random
 * port with a new data directory, after seeding the demo accounts (and a month of calls if
 * `options.seedMonth` is given), and waits for `/api/health`. Extra environment (ring
 * timeout, …) goes in `env`.
 */
export async function startAppServer(env: Record<string, string> = {}, options: AppServerOptions = {}): Promise<AppServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
  const netns = options.netns;
  // DRAIN_SECONDS=0: the suite stops the app with SIGTERM and nobody needs the drain window.
  // Every browser signs in from 127.0.0.1: the per-address sign-in budget is not what these suites test.
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    NODE_ENV: 'test',
    DRAIN_SECONDS: '0',
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
    ...env,
  };
  delete childEnv['DATABASE_URL'];
  const seed = spawnSync('node', ['dist/api/tools/src/seed-demo.js'], { cwd: ROOT, env: childEnv, encoding: 'utf8' });
  if (seed.status !== 0) throw new Error(`seeding failed: ${seed.stderr}`);
  if (options.seedMonth) {
    const month = spawnSync('node', ['dist/api/tools/src/seed-month.js', ...options.seedMonth], { cwd: ROOT, env: childEnv, encoding: 'utf8' });
    if (month.status !== 0) throw new Error(`seeding a month failed: ${month.stderr}${month.stdout}`);
  }
  // The port is chosen after seeding, right before the app listens: a free port of the
  // ephemeral range can be taken meanwhile by any other process's connection or `listen(0)`
  // (the API end-to-end suites run beside these).
  const port = netns ? 3000 : await freePort();
  childEnv['PORT'] = String(port);
  const main = ['node', ...API_NODE_FLAGS, 'dist/api/apps/api/src/main.js'];
  const command = netns ? ['ip', 'netns', 'exec', netns.name, ...main] : main;
  const child: ChildProcess = spawn(command[0], command.slice(1), { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const baseUrl = `http://${netns?.listenAddress ?? '127.0.0.1'}:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${log}`);
    if (await healthy(`${baseUrl}/api/health`, netns?.name)) break;
    if (Date.now() > deadline) throw new Error(`the app did not start within 20 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether the app answers its health check (from inside `netns`, when given). */
async function healthy(url: string, netns: string | undefined): Promise<boolean> {
  if (netns) {
    const probe = `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
    return spawnSync('ip', ['netns', 'exec', netns, 'node', '-e', probe]).status === 0;
  }
  try {
    return (await fetch(url)).ok;
  } catch {
    return false; // not listening yet
  }
}
