import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const STANDBY = join(__dirname, 'api-standby.js');
const START_TIMEOUT_MS = 30_000;

export { freeRestartablePort } from '../../src/testing/ports';

/**
 * The built API (`dist/api`) as a child process on a fixed port and fixed storage, so it can be
 * SIGKILLed at any moment and started again on the same data, as an operator's restart would.
 * The next process waits in the wings with the modules loaded (see `api-standby.ts`) and runs
 * the API's entry point only when started, so a restart is as quick as the API's own start-up.
 */
export class ApiProcess {
  private child: ChildProcess | null = null;
  private standby: { child: ChildProcess; loaded: Promise<void> } | null = null;
  private output = '';

  /** `env` is the whole configuration (PORT, DATA_DIR, DATABASE_URL, call settings…). */
  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** Where clients reach it. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process id of the running node, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the node and waits until `/api/health` answers. */
  async start(): Promise<void> {
    const { child, loaded } = this.standby ?? this.spawnStandby();
    this.standby = null;
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await loaded;
    child.send('start');
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the API exited during start-up (${child.exitCode ?? child.signalCode}):\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/api/health`)).ok) {
          this.standby = this.spawnStandby();
          return;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the API did not answer /api/health within ${START_TIMEOUT_MS} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: no shutdown hook runs, whatever was in flight stops where it was. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** SIGTERM, the orderly stop (the node drains first); the exit code, or null if it was not running. */
  async stop(): Promise<number | null> {
    const standby = this.standby;
    this.standby = null;
    if (standby && standby.child.exitCode === null) {
      const exited = new Promise((r) => standby.child.once('exit', r));
      standby.child.kill('SIGKILL');
      await exited;
    }
    return this.end('SIGTERM');
  }

  /** What the node printed lately (for a failure message). */
  get recentOutput(): string {
    return this.output;
  }

  private spawnStandby(): { child: ChildProcess; loaded: Promise<void> } {
    const child = spawn(process.execPath, [STANDBY], { env: { PATH: process.env['PATH'] ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const loaded = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the standby API process exited (${code}) before loading`)));
    });
    loaded.catch(() => undefined);
    return { child, loaded };
  }

  private async end(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }
}
