// The two servers the gateway benchmark drives — the built API (`dist/api`) and the bare relay
// (`bare-relay.ts`) — as child processes, with what is measured from outside them: CPU time
// from /proc (plus the PostgreSQL backends serving the product's database) and the heap
// through the preloaded `heap-probe.ts`. Also the product's data: migrated with the API's own
// migrations, accounts and optional call history bulk-inserted before it starts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Client } from 'pg';
import type { Role } from '@switchboard/call-domain';
import { API_NODE_FLAGS } from '@switchboard/browser-testing';
import type { HeapReport } from './heap-probe';

// npm scripts run from the workspace root, where dist/ is.
const ROOT = process.cwd();
const PROBE = join(__dirname, 'heap-probe.js');
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** The JWT secret both servers share, so one sign-in serves both. */
export const BENCH_SECRET = randomBytes(36).toString('base64url');
/** Every bench account's password. */
export const BENCH_PASSWORD = 'bench-password';

/** A server under test. */
export interface Target {
  name: 'product' | 'bare';
  url: string;
  /** CPU time (user + system, ms) spent so far by the server process and by its PostgreSQL backends (0 otherwise). */
  cpuMs(): Promise<{ server: number; database: number }>;
  /** The server's heap after two full collections (bytes). */
  heapUsed(): Promise<number>;
  /** The end of what the server wrote to stdout and stderr (warnings and errors only). */
  logTail(): string;
  stop(): Promise<void>;
}

/** A bench account, before sign-in. */
export interface BenchAccount {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

/** CPU time of one process (ms), 0 if it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function heapOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no heap report within 60 s')), 60_000);
    const onMessage = (message: unknown) => {
      const heap = (message as { heap?: HeapReport }).heap;
      if (!heap) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(heap.heapUsed);
    };
    child.on('message', onMessage);
    child.send('heap?');
  });
}

/**
 * Starts a server under the probe. Every build of the API gets the Node flags `npm start`
 * gives it (`apps/api/node-flags.json`), first: `BENCH_SERVER_NODE_FLAGS` (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof`) adds Node flags after them, to profile a target under the bench's
 * load; `BENCH_PRODUCT_NODE_FLAGS` adds flags to the product (`dist/api`) only, last (a later
 * V8 flag wins), to weigh a Node setting against the same build without it (`--baseline`, e.g.
 * a copy of `dist/api`). E.g. `BENCH_PRODUCT_NODE_FLAGS=--max-semi-space-size=16` runs the
 * product with V8's default young generation against the baseline with the API's 64 MB (README
 * → Measured, twenty-first stop); swap the two places too: they differed by 7 % in one run with
 * nothing between them.
 *
 * `BENCH_SERVER_CPUS` (a `taskset -c` list, e.g. `0`) runs the servers on those CPUs only
 * (through `taskset`, which execs node: the pid is the server's). On a VM with few CPUs and
 * costly context switches a profile of a server sharing its CPU with PostgreSQL's backends
 * shows the time it was preempted as the system call it was in (`writev`, ~half the samples
 * on 2 vCPUs); pinned alone on a CPU, with PostgreSQL and this bench on the other, the
 * profile is the server's own work:
 *
 *   PG=$(head -1 /var/lib/postgresql/15/main/postmaster.pid)
 *   taskset -a -p -c 1 $PG   # its backends, present and to come, inherit it
 *   BENCH_SERVER_CPUS=0 BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" \
 *     taskset -c 1 node dist/portal-e2e/tools/bench/gateway.js --db postgres ...
 *   taskset -a -p -c 0,1 $PG # afterwards (also after a failed run)
 *
 * Setups/s and CPU per setup are then those of two CPUs split this way, not the usual figures;
 * and the first product (`dist/api`) came out slower than the `--baseline` one whichever build
 * was in which place (two builds, each once in each place, 3 rounds: the product's place 42–52
 * and 32–53 setups/s, the baseline's 65–82 and 45–51, PostgreSQL's CPU per setup higher there
 * too): compare builds pinned only with both placings.
 */
function spawnServer(script: string, env: NodeJS.ProcessEnv, api?: { product: boolean }): { child: ChildProcess; log: () => string } {
  const flagsOf = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
  const extra = [...(api ? API_NODE_FLAGS : []), ...flagsOf('BENCH_SERVER_NODE_FLAGS'), ...(api?.product ? flagsOf('BENCH_PRODUCT_NODE_FLAGS') : [])];
  const cpus = process.env['BENCH_SERVER_CPUS'];
  const args = [...extra, '--expose-gc', '-r', PROBE, script];
  const [command, commandArgs] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, log: () => log };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** Starts the bare relay on a free loopback port. */
export async function startBare(): Promise<Target> {
  const { child, log } = spawnServer(join(__dirname, 'bare-relay.js'), { ...process.env, BARE_SECRET: BENCH_SECRET });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bare relay did not start:\n${log()}`)), 10_000);
    child.on('message', (m) => {
      const listening = (m as { listening?: number }).listening;
      if (listening) {
        clearTimeout(timer);
        resolve(listening);
      }
    });
  });
  return {
    name: 'bare',
    url: `http://127.0.0.1:${port}`,
    cpuMs: async () => ({ server: processCpuMs(child.pid ?? 0), database: 0 }),
    heapUsed: () => heapOf(child),
    logTail: log,
    stop: () => stopChild(child),
  };
}

/** The product's storage for one section of the run. */
export interface ProductDatabase {
  dialect: 'sqlite' | 'postgres';
  /** DATA_DIR of the API (the SQLite file lives there). */
  dataDir: string;
  /** DATABASE_URL, for PostgreSQL. */
  url?: string;
  /** Drops the throw-away PostgreSQL database or deletes the data directory. */
  remove(): Promise<void>;
}

/** A fresh data directory, and for PostgreSQL a throw-away database (as the tests make them). */
export async function createProductDatabase(dialect: 'sqlite' | 'postgres'): Promise<ProductDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-gateway-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') return { dialect, dataDir, remove: async () => removeDir() };
  const { createTestPostgresDatabase } = require(join(ROOT, 'dist/api-spec/apps/api/src/testing/postgres.js')) as {
    createTestPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
  };
  const pg = await createTestPostgresDatabase();
  return {
    dialect,
    dataDir,
    url: pg.url,
    remove: async () => {
      removeDir();
      await pg.drop();
    },
  };
}

/**
 * A password hash in the product's format with a low scrypt cost: the format carries its own
 * cost, so the real sign-in checks it, in a millisecond instead of ~50, and 1 400 sign-ins
 * take seconds.
 */
function cheapPasswordHash(password: string): string {
  const N = 1024;
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N, r: 8, p: 1 });
  return ['scrypt', N, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A minimal SQL door over both dialects: one statement with positional parameters. */
interface Sql {
  run(text: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

async function openSql(database: ProductDatabase): Promise<Sql> {
  if (database.dialect === 'postgres') {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    return {
      run: async (text, params = []) => {
        let n = 0;
        await client.query(text.replace(/\?/g, () => `$${++n}`), params);
      },
      close: () => client.end(),
    };
  }
  const file = new SQLite(join(database.dataDir, 'switchboard.sqlite'));
  file.pragma('journal_mode = WAL');
  return {
    run: async (text, params = []) => void file.prepare(text).run(...params),
    close: async () => void file.close(),
  };
}

/** How often the build in `apiDir` files ended calls into SQLite's history indexes (`HistoryFiling`'s `FILING_EVERY_MS`), ms. */
export function filingEveryMs(apiDir = 'dist/api'): number {
  return (require(join(ROOT, apiDir, 'apps/api/src/calls/history-filing.service.js')) as { FILING_EVERY_MS: number }).FILING_EVERY_MS;
}

/**
 * Migrates the product's database with the API's own migrations, then inserts the accounts
 * (multi-row inserts) and `history` ended calls with three timeline entries each, in chunks
 * of 100 000, generated by the database itself.
 */
export async function seedProductDatabase(database: ProductDatabase, accounts: readonly BenchAccount[], history: number, apiDir = 'dist/api'): Promise<void> {
  // Migrated by the build that will run on it: a baseline build refuses a database carrying migrations it does not have.
  const { openMigratedDatabase } = require(join(ROOT, apiDir, 'apps/api/src/database/database.js')) as {
    openMigratedDatabase(settings: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string }): Promise<{ db: { destroy(): Promise<void> } }>;
  };
  const settings = database.dialect === 'postgres' ? { dialect: 'postgres' as const, url: database.url ?? '' } : { dialect: 'sqlite' as const, file: join(database.dataDir, 'switchboard.sqlite') };
  await (await openMigratedDatabase(settings)).db.destroy();
  const sql = await openSql(database);
  try {
    const hash = cheapPasswordHash(BENCH_PASSWORD);
    const now = new Date().toISOString();
    for (let i = 0; i < accounts.length; i += 500) {
      const chunk = accounts.slice(i, i + 500);
      await sql.run(
        `insert into users (id, username, display_name, role, password_hash, created_at) values ${chunk.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((a) => [a.id, a.username, a.displayName, a.role, hash, now]),
      );
    }
    if (history > 0) await seedHistory(sql, database.dialect, accounts, history);
  } finally {
    await sql.close();
  }
}

async function seedHistory(sql: Sql, dialect: 'sqlite' | 'postgres', accounts: readonly BenchAccount[], history: number): Promise<void> {
  const pg = dialect === 'postgres';
  for (const role of ['student', 'agent'] as const) {
    const people = accounts.filter((a) => a.role === role);
    await sql.run(`create temp table bench_${role} (k integer primary key, id text, name text)`);
    for (let i = 0; i < people.length; i += 500) {
      const chunk = people.slice(i, i + 500);
      await sql.run(`insert into bench_${role} values ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flatMap((p, j) => [i + j, p.id, p.displayName]));
    }
  }
  const students = accounts.filter((a) => a.role === 'student').length;
  const agents = accounts.filter((a) => a.role === 'agent').length;
  // One call every 30 s back from now: a million calls span about a year.
  const base = Math.floor(Date.now() / 1000) - 3600;
  const iso = (seconds: string) => (pg ? `to_char(to_timestamp(${seconds}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : `strftime('%Y-%m-%dT%H:%M:%fZ', ${seconds}, 'unixepoch')`);
  const hex12 = pg ? `lpad(to_hex(i), 12, '0')` : `printf('%012x', i)`;
  // Shaped as the product's call ids (UUID version 7: the milliseconds of the call's time
  // first), so the stored calls sort before the ones the bench places, as in production.
  const msHex = (seconds: string) => (pg ? `lpad(to_hex((${seconds})::bigint * 1000), 12, '0')` : `printf('%012x', (${seconds}) * 1000)`);
  const callId = (seconds: string) => `substr(${msHex(seconds)}, 1, 8) || '-' || substr(${msHex(seconds)}, 9, 4) || '-7000-8000-' || ${hex12}`;
  const numbers = (from: number, to: number) =>
    pg ? `select i from generate_series(${from}, ${to}) as g(i)` : `with recursive n(i) as (select ${from} union all select i + 1 from n where i < ${to}) select i from n`;
  for (let from = 1; from <= history; from += 100_000) {
    const to = Math.min(history, from + 99_999);
    const t = `(${base} - i * 30)`;
    await sql.run(pg ? 'begin' : 'begin immediate');
    await sql.run(
      `insert into calls (id, state, outcome, caller_id, caller_name, agent_id, agent_name, queued_at, answered_at, connected_at, ended_at, ended_by, end_reason, queue_ms, talk_ms, wrap_up_ms, disposition, notes)
       select ${callId(t)}, 'ended', 'answered', s.id, s.name, a.id, a.name, ${iso(t)}, ${iso(`${t} + 10`)}, ${iso(`${t} + 11`)}, ${iso(`${t} + 200`)}, 'caller', 'hung_up', 10000, 189000, 30000, 'Resolved', ''
       from (${numbers(from, to)}) as n join bench_student s on s.k = n.i % ${students} join bench_agent a on a.k = n.i % ${agents}`,
    );
    await sql.run(
      `insert into call_events (id, call_id, seq, at, type, actor_id, actor_name, detail)
       select 'e000000' || e.seq || '-0000-4000-8000-' || ${hex12}, ${callId(t)}, e.seq, ${iso(`${t} + e.offset_s`)}, e.type, a.id, a.name, null
       from (${numbers(from, to)}) as n join bench_agent a on a.k = n.i % ${agents}
       cross join (select 1 as seq, 'queued' as type, 0 as offset_s union all select 2, 'accepted', 10 union all select 3, 'ended', 200) as e`,
    );
    await sql.run('commit');
  }
  if (pg) await sql.run('analyze');
}

/**
 * Starts the built API (`apiDir`, `dist/api` by default: another build of it, to compare two
 * builds in one run) on `database`, with the bench's secret and quiet logs, and waits for /api/health.
 */
export async function startProduct(database: ProductDatabase, port: number, apiDir = 'dist/api'): Promise<Target> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    DATA_DIR: database.dataDir,
    JWT_SECRET: BENCH_SECRET,
    PORTAL_DIR: join(database.dataDir, 'no-portal'),
    LOG_LEVEL: 'warn',
    DRAIN_SECONDS: '0',
    // Every simulated user signs in and connects from 127.0.0.1.
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '1000000',
    MAX_CONNECTIONS_PER_ADDRESS: '1000000',
    // Agents save wrap-up themselves; this only frees one whose wrap-up ack was lost.
    WRAP_UP_SECONDS: '5',
  };
  delete env['DATABASE_URL'];
  if (database.url) env['DATABASE_URL'] = database.url;
  const { child, log } = spawnServer(join(ROOT, apiDir, 'apps/api/src/main.js'), env, { product: resolve(ROOT, apiDir) === resolve(ROOT, 'dist/api') });
  let stopping = false;
  child.once('exit', (code, signal) => stopping || console.error(`the API exited (${code ?? signal}) during the run:\n${log()}`));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}):\n${log()}`);
    if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`the API did not start within 30 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const backends = database.url ? await postgresBackends(database.url) : null;
  return {
    name: 'product',
    url,
    cpuMs: async () => ({ server: processCpuMs(child.pid ?? 0), database: backends ? await backends.cpuMs() : 0 }),
    heapUsed: () => heapOf(child),
    logTail: log,
    stop: async () => {
      stopping = true;
      await stopChild(child);
      await backends?.close();
    },
  };
}

/**
 * The CPU time of the PostgreSQL backends connected to the product's database (found in
 * pg_stat_activity; this watcher's own backend left out). A backend seen once keeps counting
 * after it is gone, at its last reading.
 */
async function postgresBackends(url: string): Promise<{ cpuMs(): Promise<number>; close(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const seen = new Map<number, number>();
  return {
    async cpuMs() {
      const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      for (const { pid } of rows) seen.set(pid, Math.max(seen.get(pid) ?? 0, processCpuMs(pid)));
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
    close: () => client.end(),
  };
}

/** Bench accounts: `agents` agents and `students` students with unique names. */
export function benchAccounts(agents: number, students: number): BenchAccount[] {
  const make = (role: Role, i: number): BenchAccount => ({ id: randomUUID(), username: `bench-${role}-${i}`, displayName: `Bench ${role} ${i}`, role });
  return [...Array.from({ length: agents }, (_, i) => make('agent', i)), ...Array.from({ length: students }, (_, i) => make('student', i))];
}
