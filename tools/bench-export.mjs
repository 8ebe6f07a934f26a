// Benchmark of GET /api/calls/export.csv: seeds about 100 000 calls into a fresh SQLite data
// dir (or DATABASE_URL) — or `--calls N` with seed:history's generator, or reuses a seeded
// `--data-dir` — starts the built API as a child process, downloads the whole export and
// prints rows/s and the server's resident memory (VmRSS before, the highest VmRSS sampled
// every 50 ms during the export, peak VmHWM; from /proc).
//
//   npm run build:api && node tools/bench-export.mjs [--calls-per-day 4300] [--days 30]
//     [--calls 1000000] [--data-dir DIR (a seeded SQLite DATA_DIR, kept)] [--dir asc|desc]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

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
let started = Date.now();
const dispositions = ['Resolved', 'Escalated', 'Follow-up needed', 'Wrong number', 'Other'];
let seeded;
if (reuse) seeded = { calls: Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) };
else if (values.calls) seeded = await seedHistory(db, { calls: Number(values.calls), seed: 1, callsPerDay: 240, students: 5000, dispositions });
else seeded = await seedMonth(db, { seed: 1, days: Number(values.days), callsPerDay: Number(values['calls-per-day']), end: new Date(), replace: true, dispositions });
await db.destroy();
console.log(`${reuse ? 'reused' : 'seeded'} ${seeded.calls} calls (${config.database.dialect})${reuse ? '' : ` in ${((Date.now() - started) / 1000).toFixed(1)} s`}`);

const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['dist/api/apps/api/src/main.js'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  await waitForHealth(url);
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'supervisor', password: 'switchboard' }) });
  const { accessToken } = await login.json();
  const before = memory(server.pid);
  started = Date.now();
  const res = await fetch(`${url}/api/calls/export.csv?dir=${values.dir}`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  let sampledRss = before.rssMb;
  const sampler = setInterval(() => (sampledRss = Math.max(sampledRss, memory(server.pid).rssMb)), 50);
  // Seeded cells hold no line breaks, so each LF ends a record (indexOf: the client must not be the bottleneck).
  for await (const chunk of res.body) {
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const after = memory(server.pid);
  const rows = lines - 1;
  console.log(`exported ${rows} rows (${(bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s: ${Math.round(rows / seconds)} rows/s`);
  console.log(
    `server RSS before ${before.rssMb.toFixed(0)} MB, max sampled during ${sampledRss.toFixed(0)} MB, peak (VmHWM) ${after.peakMb.toFixed(0)} MB ` +
      `(peak before export ${before.peakMb.toFixed(0)} MB)`,
  );
  if (rows !== seeded.calls) throw new Error(`expected ${seeded.calls} rows, got ${rows}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  if (!reuse) rmSync(dataDir, { recursive: true, force: true });
}
