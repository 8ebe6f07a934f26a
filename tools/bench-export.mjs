// Benchmark of GET /api/calls/export.csv: seeds about 100 000 calls into a fresh SQLite data
// dir (or DATABASE_URL) — or `--calls N` with seed:history's generator, or reuses a seeded
// `--data-dir` — starts the built API as a child process, downloads the whole export and
// prints rows/s and the server's resident memory (VmRSS before, the highest VmRSS sampled
// every 50 ms during the export, peak VmHWM; from /proc). With `--baseline DIR` (another
// build's dist/api, e.g. main's copied to dist/api-base inside this worktree so that it finds
// node_modules) it alternates that build and this one for `--rounds` rounds on the same data
// and prints both.
//
//   npm run build:api && node tools/bench-export.mjs [--calls-per-day 4300] [--days 30]
//     [--calls 1000000] [--data-dir DIR (a seeded SQLite DATA_DIR, kept)] [--dir asc|desc]
//     [--baseline dist/api-base] [--rounds 3]
// PostgreSQL: DATABASE_URL=postgres://… (with --data-dir, a database seeded before, kept).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_NODE_FLAGS } from './api-node-flags.mjs';

const require = createRequire(import.meta.url);
const dist = (path) => require(join(process.cwd(), 'dist/api', path));
const { loadConfig } = dist('apps/api/src/config/config.js');
const { openMigratedDatabase } = dist('apps/api/src/database/database.js');
const { seedMonth } = dist('apps/api/src/supervisor/seeding/month-seeder.js');
const { seedHistory } = dist('apps/api/src/supervisor/seeding/history-seeder.js');

const { values } = parseArgs({
  options: {
    'calls-per-day': { type: 'string', default: '4300' },
    days: { type: 'string', default: '30' },
    calls: { type: 'string' },
    'data-dir': { type: 'string' },
    dir: { type: 'string', default: 'asc' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const reuse = values['data-dir'] !== undefined;
const dataDir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'switchboard-bench-export-'));

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU seconds a process has used so far, all its threads (user + system; /proc/PID/stat). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitForHealth(url) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('The API did not start');
}

const env = { ...process.env, DATA_DIR: dataDir, JWT_SECRET: 'bench-secret-long-enough-for-anything-0123456789', LOG_LEVEL: 'warn', DRAIN_SECONDS: '0', PORTAL_DIR: join(dataDir, 'none') };
const config = loadConfig(env);
const { db } = await openMigratedDatabase(config.database);
const started = Date.now();
const dispositions = ['Resolved', 'Escalated', 'Follow-up needed', 'Wrong number', 'Other'];
let seeded;
if (reuse) seeded = { calls: Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) };
else if (values.calls) seeded = await seedHistory(db, { calls: Number(values.calls), seed: 1, callsPerDay: 240, students: 5000, dispositions });
else seeded = await seedMonth(db, { seed: 1, days: Number(values.days), callsPerDay: Number(values['calls-per-day']), end: new Date(), replace: true, dispositions });
await db.destroy();
console.log(`${reuse ? 'reused' : 'seeded'} ${seeded.calls} calls (${config.database.dialect})${reuse ? '' : ` in ${((Date.now() - started) / 1000).toFixed(1)} s`}`);

/** Starts the API built in `build`, exports everything once, and returns rows/s and memory. */
async function exportOnce(build) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [...API_NODE_FLAGS, join(build, 'apps/api/src/main.js')], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForHealth(url);
    const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'supervisor', password: 'switchboard' }) });
    const { accessToken } = await login.json();
    const before = memory(server.pid);
    const cpuBefore = cpuSeconds(server.pid);
    const started = Date.now();
    const res = await fetch(`${url}/api/calls/export.csv?dir=${values.dir}`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
    let lines = 0;
    let bytes = 0;
    let sampledRss = before.rssMb;
    // Flat memory: what the server holds once the export runs (its read workers started, the
    // first batches in flight) against the most it holds later, whatever the row count.
    let rssAtTenth;
    let rssAtHalf;
    const sampler = setInterval(() => {
      const { rssMb } = memory(server.pid);
      sampledRss = Math.max(sampledRss, rssMb);
      if (rssAtTenth === undefined && lines >= seeded.calls / 10) rssAtTenth = rssMb;
      if (rssAtHalf === undefined && lines >= seeded.calls / 2) rssAtHalf = rssMb;
    }, 50);
    // Seeded cells hold no line breaks, so each LF ends a record (indexOf: the client must not be the bottleneck).
    for await (const chunk of res.body) {
      bytes += chunk.length;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    }
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    const after = memory(server.pid);
    const rows = lines - 1;
    if (rows !== seeded.calls) throw new Error(`expected ${seeded.calls} rows, got ${rows}`);
    return { rows, bytes, seconds, cpu, rowsPerSecond: Math.round(rows / seconds), before, rssAtTenth: rssAtTenth ?? before.rssMb, rssAtHalf: rssAtHalf ?? before.rssMb, sampledRss, after };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

const builds = values.baseline ? [['baseline', values.baseline], ['this build', 'dist/api']] : [['this build', 'dist/api']];
const results = new Map(builds.map(([name]) => [name, []]));
try {
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const [name, build] of round % 2 ? builds : [...builds].reverse()) {
      const r = await exportOnce(build);
      results.get(name).push(r);
      console.log(
        `round ${round}, ${name}: exported ${r.rows} rows (${(r.bytes / 1e6).toFixed(1)} MB) in ${r.seconds.toFixed(2)} s: ${r.rowsPerSecond} rows/s, ` +
          `server CPU ${r.cpu.toFixed(1)} s (${Math.round(r.rows / r.cpu)} rows per CPU second); server RSS before ${r.before.rssMb.toFixed(0)} MB, ` +
          `at 10 % / 50 % of the rows ${r.rssAtTenth.toFixed(0)} / ${r.rssAtHalf.toFixed(0)} MB, max sampled during ${r.sampledRss.toFixed(0)} MB, peak (VmHWM) ${r.after.peakMb.toFixed(0)} MB`,
      );
    }
  }
  for (const [name, runs] of results) {
    const sorted = (f) => runs.map(f).sort((a, b) => a - b);
    const median = (xs) => xs[Math.floor(xs.length / 2)];
    const rates = sorted((r) => r.rowsPerSecond);
    const perCpu = sorted((r) => Math.round(r.rows / r.cpu));
    const peaks = sorted((r) => Math.round(r.sampledRss));
    const growth = sorted((r) => Math.round(r.sampledRss - r.rssAtTenth));
    console.log(
      `${name}: rows/s ${rates.join(' / ')} (median ${median(rates)}); rows per server CPU second ${perCpu.join(' / ')} (median ${median(perCpu)}); ` +
        `RSS max during ${peaks.join(' / ')} MB, growth after the first 10 % ${growth.join(' / ')} MB`,
    );
  }
} finally {
  if (!reuse) rmSync(dataDir, { recursive: true, force: true });
}
