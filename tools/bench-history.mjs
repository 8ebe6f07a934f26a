// Benchmark of the supervisor's call history at scale (issue #11), on SQLite and PostgreSQL:
// seeds N calls with seed:history (or reuses a seeded SQLite DATA_DIR / DATABASE_URL), starts
// the built API as a child process, and prints p50/p95 of each history request the page makes
// (first page, every filter, a deep page by keyset cursor, a student search by name and by
// username), the CSV export's rows/s and server memory, the month's metrics, and the stall
// probe: /api/health latency (p99, max) and, for a call in progress, an ICE candidate's relay
// from the caller to the agent (p99, max; `tools/bench/relay-probe.ts`) while each long
// request runs. Beside each probe, what tells a blocked API from a busy machine: the API's own
// event-loop delay over the run (p99 / max of prom-client's monitorEventLoopDelay gauges, read
// from /metrics, which resets them; it times a 10 ms timer, so a value counts those 10 ms),
// this client's own, and for the slowest health answer how long the API's main thread ran on
// a CPU and waited for one meanwhile (/proc/PID/schedstat).
//
//   npm run build:api && npm run build:specs && node tools/bench-history.mjs [--calls 1000000] [--db sqlite|postgres|both]
//     [--runs 20] [--data-dir DIR (a seeded SQLite DATA_DIR, kept)] [--database-url URL (seeded, kept)]
//     [--export-only (just the CSV export with its stall probe)] [--requests REGEX (only the page
//     requests whose name matches, e.g. 'poor', and no metrics, search scan or export; 'metrics'
//     times the supervisor metrics of a day, a month and the whole history, from the roll-ups and
//     raw, which only a REGEX that matches them runs)] [--api DIR
//     (the server of another build's dist/api, e.g. main's copied to dist/api-base here; the tool's
//     own code stays this one's)] [--download-on-probe-thread (the export downloaded on the
//     probes' own thread, as before: its garbage collections then delay the probes too)]
//   BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the API's threads.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { API_NODE_FLAGS } from './api-node-flags.mjs';

const require = createRequire(import.meta.url);
const dist = (path) => require(join(process.cwd(), 'dist/api', path));
const { loadConfig } = dist('apps/api/src/config/config.js');
const { openMigratedDatabase } = dist('apps/api/src/database/database.js');
const { seedHistory } = dist('apps/api/src/supervisor/seeding/history-seeder.js');
const { RelayProbe } = require(join(process.cwd(), 'dist/portal-e2e/tools/bench/relay-probe.js'));
const pg = require('pg');

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '20' },
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    'export-only': { type: 'boolean', default: false },
    requests: { type: 'string' },
    api: { type: 'string', default: 'dist/api' },
    'download-on-probe-thread': { type: 'boolean', default: false },
  },
});
const EXPORT_ONLY = values['export-only'];
const ONLY = values.requests === undefined ? undefined : new RegExp(values.requests, 'i');
const CALLS = Number(values.calls);
const RUNS = Number(values.runs);
const JWT = 'bench-secret-long-enough-for-anything-0123456789';

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and peak VmHWM of a process, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/**
 * The CPU time of a thread of a process (the main thread: `tid` = `pid`) and the time it waited
 * runnable for a CPU, in ms, from the kernel's schedstat (nanoseconds); undefined once it is gone.
 */
function schedstat(pid, tid = pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run / 1e6, wait: wait / 1e6 };
  } catch {
    return undefined;
  }
}

/** The same summed over every thread of `pid` but `tid` (the read workers, V8's and libuv's). */
function otherThreads(pid, tid = pid) {
  let run = 0;
  let wait = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    if (Number(task) === tid) continue;
    const s = schedstat(pid, Number(task));
    if (!s) continue;
    run += s.run;
    wait += s.wait;
  }
  return { run, wait };
}

/** A Prometheus gauge's value from an exposition text (NaN if absent). */
const gauge = (text, name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);

/** Downloads `url` and resolves with its count of lines after the first (the CSV's records). */
async function countRecords(url, headers) {
  const res = await fetch(url, { headers });
  let lines = 0;
  // indexOf, not a loop over every byte: the client must not be what limits the rate.
  for await (const chunk of res.body) for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  return lines - 1;
}

/**
 * {@link countRecords} on a worker thread (unless `here`, as the tool did before): the 200 MB
 * that go through it, and their garbage, then do not hold up the probes' event loop.
 */
function download(url, headers, here = false) {
  if (here) return countRecords(url, headers);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    ${countRecords.toString()}
    countRecords(workerData.url, workerData.headers).then((n) => parentPort.postMessage(n));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, headers } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (exit) => reject(new Error(`the download stopped (exit code ${exit})`)));
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(x < 10 ? 1 : 0)} ms` : '—');

/** Seeds (unless reused) and returns the environment the API runs with, and how to clean up. */
async function prepare(dialect) {
  const base = { JWT_SECRET: JWT, LOG_LEVEL: 'warn', DRAIN_SECONDS: '0' };
  let env;
  let cleanup = () => Promise.resolve();
  let reuse = false;
  if (dialect === 'sqlite') {
    const dir = values['data-dir'] ?? mkdtempSync(join(tmpdir(), 'switchboard-bench-history-'));
    reuse = values['data-dir'] !== undefined;
    if (!reuse) cleanup = async () => rmSync(dir, { recursive: true, force: true });
    env = { ...process.env, ...base, DATA_DIR: dir, PORTAL_DIR: join(dir, 'none') };
    delete env.DATABASE_URL;
  } else {
    let url = values['database-url'];
    reuse = url !== undefined;
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-history-pg-'));
    // The API's DATA_DIR goes whether the database was made here or reused.
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
    if (!url) {
      const name = `switchboard_bench_history_${process.pid}`;
      const admin = new pg.Client({ connectionString: 'postgres://root@127.0.0.1:5432/postgres' });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      url = `postgres://root@127.0.0.1:5432/${name}`;
      cleanup = async () => {
        const c = new pg.Client({ connectionString: 'postgres://root@127.0.0.1:5432/postgres' });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    env = { ...process.env, ...base, DATA_DIR: dir, DATABASE_URL: url, PORTAL_DIR: join(dir, 'none') };
  }
  const config = loadConfig(env);
  const { db } = await openMigratedDatabase(config.database);
  try {
    // A reused database still holds the live state of the runs before (the probe agent's
    // presence, marked connected, and the rows of API nodes that were stopped): a new node
    // would take over those dead nodes while the probe connects and mark the agent gone.
    if (reuse) await forgetNodes(db);
    if (!reuse) {
      const started = Date.now();
      const s = await seedHistory(db, { calls: CALLS, seed: 1, callsPerDay: 240, students: 5000, dispositions: config.calls.dispositions });
      console.log(`[${dialect}] seeded ${s.calls} calls, ${s.events} events in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const count = await db.selectFrom('calls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const agent = await db.selectFrom('calls').select('agent_id').where('agent_id', 'is not', null).orderBy('queued_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const student = await db.selectFrom('calls').innerJoin('users', 'users.id', 'calls.caller_id').select(['calls.caller_name', 'users.username']).orderBy('calls.queued_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const newest = await db.selectFrom('calls').select('queued_at').orderBy('queued_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const removeDatabase = cleanup;
    // The run's own live state goes when it ends, so the next run starts as on a fresh database.
    const forget = async () => {
      const { db: again } = await openMigratedDatabase(config.database);
      await forgetNodes(again).finally(() => again.destroy());
    };
    cleanup = reuse ? () => forget().then(removeDatabase) : removeDatabase;
    return { env, cleanup, calls: Number(count.n), agentId: agent.agent_id, student, newest: newest.queued_at };
  } finally {
    await db.destroy();
  }
}

/** Deletes what API nodes keep only while they run: agents' presence and the nodes' own rows (no node runs on the bench's database now). */
async function forgetNodes(db) {
  await db.deleteFrom('agent_presence').execute();
  await db.deleteFrom('api_nodes').execute();
}

/**
 * The supervisor metrics requests `--requests metrics` times: the 24 hours and the 30 days up to
 * the newest call (instants off the quarter hours: the default source reads the edges raw, with
 * their missed offers) and the whole history, from the roll-ups and raw.
 */
function metricsRequests(newest) {
  const to = new Date(Date.parse(newest) + 1).toISOString();
  const before = (days) => new Date(Date.parse(to) - days * 86_400_000).toISOString();
  const m = (params) => `/api/metrics?${new URLSearchParams(params)}`;
  return [
    ['metrics for a day', m({ from: before(1), to })],
    ['metrics for a day (raw)', m({ from: before(1), to, source: 'raw' })],
    ['metrics for a month', m({ from: before(30), to })],
    ['metrics for a month (raw)', m({ from: before(30), to, source: 'raw' })],
    ['metrics, whole history', m({ from: '2000-01-01T00:00:00.000Z', to })],
    ['metrics, whole history (raw)', m({ from: '2000-01-01T00:00:00.000Z', to, source: 'raw' })],
  ];
}

async function bench(dialect) {
  const prepared = await prepare(dialect);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The API's own flags, then BENCH_SERVER_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`;
  // a later V8 flag wins), as in the gateway bench.
  const flags = [...API_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const server = spawn(process.execPath, [...flags, join(values.api, 'apps/api/src/main.js')], { env: { ...prepared.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const rows = [];
  let relay;
  try {
    for (let i = 0; i < 600; i++) {
      if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const signIn = async (username) => {
      const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'switchboard' }) });
      return (await login.json()).accessToken;
    };
    const accessToken = await signIn('supervisor');
    relay = await RelayProbe.open(url, await signIn('agent'), await signIn('student'));
    const headers = { authorization: `Bearer ${accessToken}` };
    const get = async (path) => {
      const res = await fetch(url + path, { headers });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${body}`);
      return body;
    };
    const monthTo = prepared.newest.slice(0, 10);
    const monthFrom = new Date(Date.parse(monthTo) - 30 * 86_400_000).toISOString().slice(0, 10);
    const q = (params) => `/api/calls?${new URLSearchParams({ count: 'capped', pageSize: '25', ...params })}`;
    const deepPage = Math.floor((prepared.calls * 0.95) / 25);
    const deepCursor = JSON.parse(await get(q({ page: String(deepPage) }))).nextCursor;
    const deepTalkCursor = JSON.parse(await get(q({ sort: 'talkSeconds', page: String(deepPage) }))).nextCursor;
    // The poor-quality calls (a few thousand of a million in seed:history): a page at ~95 % of them, and the one before it.
    const poorCalls = JSON.parse(await get(q({ quality: 'poor', count: 'exact' }))).total;
    const deepPoorCursor = JSON.parse(await get(q({ quality: 'poor', page: String(Math.max(1, Math.floor((poorCalls * 0.95) / 25))) }))).nextCursor;
    // None when the poor-quality calls fit in one page (a small data set): those two rows are left out.
    const deepPoorBefore = deepPoorCursor ? JSON.parse(await get(q({ quality: 'poor', after: deepPoorCursor }))).prevCursor : null;
    // The demo student's calls sorted by outcome and by talk time: a page at ~95 % of them (the last outcome's stretch).
    const studentCalls = JSON.parse(await get(q({ student: prepared.student.caller_name, count: 'exact' }))).total;
    const studentDeep = String(Math.max(1, Math.floor((studentCalls * 0.95) / 25)));
    const studentOutcomeCursor = JSON.parse(await get(q({ student: prepared.student.caller_name, sort: 'outcome', page: studentDeep }))).nextCursor;
    const studentTalkCursor = JSON.parse(await get(q({ student: prepared.student.caller_name, sort: 'talkSeconds', dir: 'asc', page: studentDeep }))).nextCursor;
    const requests = ([
      ['first page by time', q({})],
      ['agent', q({ agentId: prepared.agentId })],
      ['outcome (answered)', q({ outcome: 'answered' })],
      ['outcome (failed, rare)', q({ outcome: 'failed' })],
      ['agent + outcome', q({ agentId: prepared.agentId, outcome: 'answered,failed' })],
      ['a month', q({ from: monthFrom, to: monthTo })],
      ['a month + agent + outcome', q({ from: monthFrom, to: monthTo, agentId: prepared.agentId, outcome: 'abandoned' })],
      ['deep page by keyset (~95 %)', q({ after: deepCursor })],
      ['student name', q({ student: prepared.student.caller_name })],
      ['student username', q({ student: prepared.student.username })],
      ['student name + agent', q({ student: prepared.student.caller_name.split(' ')[1], agentId: prepared.agentId })],
      ['student name, sort by talk time', q({ student: prepared.student.caller_name, sort: 'talkSeconds' })],
      ['student name, sort by agent name (asc)', q({ student: prepared.student.caller_name, sort: 'agentName', dir: 'asc' })],
      ['student name + outcome (answered), sort by wait', q({ student: prepared.student.caller_name, outcome: 'answered', sort: 'queueSeconds' })],
      ['student name + agent, sort by talk time', q({ student: prepared.student.caller_name, agentId: prepared.agentId, sort: 'talkSeconds' })],
      ['student name, sort by outcome', q({ student: prepared.student.caller_name, sort: 'outcome' })],
      ...(studentOutcomeCursor ? [['student name, sort by outcome, deep page by keyset (~95 %)', q({ student: prepared.student.caller_name, sort: 'outcome', after: studentOutcomeCursor })]] : []),
      ...(studentTalkCursor ? [['student name, sort by talk time (asc), deep page by keyset (~95 %)', q({ student: prepared.student.caller_name, sort: 'talkSeconds', dir: 'asc', after: studentTalkCursor })]] : []),
      ['sort by talk time', q({ sort: 'talkSeconds' })],
      ['sort by talk time, deep page by keyset (~95 %)', q({ sort: 'talkSeconds', after: deepTalkCursor })],
      ['sort by talk time (asc) + outcome (abandoned)', q({ sort: 'talkSeconds', dir: 'asc', outcome: 'abandoned' })],
      ['sort by agent name + outcome (failed, rare)', q({ sort: 'agentName', outcome: 'failed' })],
      ['sort by student + agent', q({ sort: 'callerName', dir: 'asc', agentId: prepared.agentId })],
      ['sort by wait + a month', q({ sort: 'queueSeconds', from: monthFrom, to: monthTo })],
      ['sort by outcome + agent', q({ sort: 'outcome', agentId: prepared.agentId })],
      ['poor quality', q({ quality: 'poor' })],
      ['poor quality, exact count', q({ quality: 'poor', count: 'exact' })],
      ['poor quality + agent', q({ quality: 'poor', agentId: prepared.agentId })],
      ['poor quality + outcome (answered)', q({ quality: 'poor', outcome: 'answered' })],
      ['poor quality + agent + outcome (answered, failed)', q({ quality: 'poor', agentId: prepared.agentId, outcome: 'answered,failed' })],
      ['poor quality + a month', q({ quality: 'poor', from: monthFrom, to: monthTo })],
      ...(deepPoorCursor
        ? [
            ['poor quality, deep page by keyset (~95 %)', q({ quality: 'poor', after: deepPoorCursor })],
            ['poor quality, the page before that (before=)', q({ quality: 'poor', before: deepPoorBefore })],
          ]
        : []),
      ['poor quality, sort by talk time', q({ quality: 'poor', sort: 'talkSeconds' })],
      ['poor quality + agent, sort by student', q({ quality: 'poor', agentId: prepared.agentId, sort: 'callerName', dir: 'asc' })],
      ['poor quality + outcome (answered), sort by wait', q({ quality: 'poor', outcome: 'answered', sort: 'queueSeconds' })],
      ['poor quality + student name', q({ quality: 'poor', student: prepared.student.caller_name })],
      ['poor quality + student surname + agent, sort by talk time', q({ quality: 'poor', student: prepared.student.caller_name.split(' ')[1], agentId: prepared.agentId, sort: 'talkSeconds' })],
      [`CSV export of the poor-quality calls (${poorCalls})`, `/api/calls/export.csv?quality=poor`],
      ['deep page by offset (old clients)', q({ page: String(deepPage), count: 'exact' })],
      // Only when --requests names them (seconds each at a million calls before 0026).
      ...metricsRequests(prepared.newest).filter(([name]) => ONLY?.test(name)),
    ]).filter(([name]) => !ONLY || ONLY.test(name));
    const times = requests.map(() => []);
    for (let run = 0; run < (EXPORT_ONLY ? 0 : RUNS + 2); run++) {
      for (const [i, [, path]] of requests.entries()) {
        const started = performance.now();
        await get(path);
        if (run >= 2) times[i].push(performance.now() - started);
      }
    }
    if (!EXPORT_ONLY) requests.forEach(([name], i) => rows.push([name, ms(pct(times[i], 50)), ms(pct(times[i], 95)), '', '']));

    /**
     * Runs `work` while probing /api/health every 20 ms and relaying a candidate of the call in
     * progress every 50 ms; returns its result and both probes' p99/max (`stall` for the table).
     */
    const probed = async (work) => {
      const latencies = [];
      // [start, end] of each health request, and the API main thread's schedstat every 5 ms.
      const windows = [];
      const sched = [];
      const sampler = setInterval(() => {
        const s = schedstat(server.pid);
        if (s) sched.push({ at: performance.now(), ...s });
      }, 5);
      const client = monitorEventLoopDelay({ resolution: 5 });
      await get('/metrics'); // resets the API's event-loop delay histogram
      const threadsBefore = otherThreads(server.pid);
      const mainBefore = schedstat(server.pid);
      client.enable();
      let running = true;
      const probe = (async () => {
        while (running) {
          const started = performance.now();
          await fetch(`${url}/api/health`).then((r) => r.text());
          const ended = performance.now();
          latencies.push(ended - started);
          windows.push([started, ended]);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const started = performance.now();
      let took = 0;
      const relayed = await relay.sample(async () => {
        const result = await work();
        took = performance.now() - started;
        return result;
      });
      running = false;
      await probe;
      client.disable();
      clearInterval(sampler);
      const apiLoop = await get('/metrics');
      const mainAfter = schedstat(server.pid);
      const threadsAfter = otherThreads(server.pid);
      // The slowest health answer: the API main thread's CPU and runqueue wait between the samples around it.
      const slowest = windows[latencies.indexOf(Math.max(...latencies))];
      const before = sched.findLast((x) => x.at <= slowest[0]) ?? sched[0];
      const after = sched.find((x) => x.at >= slowest[1]) ?? sched[sched.length - 1];
      const stall = `${ms(pct(latencies, 99))} / ${ms(Math.max(...latencies))} · candidate ${ms(pct(relayed.latencies, 99))} / ${ms(Math.max(...relayed.latencies))}${relayed.lost ? `, ${relayed.lost} lost` : ''}`;
      const cause = [
        `API loop delay p99 / max ${ms(gauge(apiLoop, 'nodejs_eventloop_lag_p99_seconds') * 1000)} / ${ms(gauge(apiLoop, 'nodejs_eventloop_lag_max_seconds') * 1000)}`,
        `client loop max ${ms(client.max / 1e6)}`,
        `slowest health: API main thread on CPU ${ms(after.run - before.run)}, waiting for one ${ms(after.wait - before.wait)} over ${ms(after.at - before.at)}`,
        `whole run: API main thread CPU ${ms(mainAfter.run - mainBefore.run)} (waited ${ms(mainAfter.wait - mainBefore.wait)}), its other threads ${ms(threadsAfter.run - threadsBefore.run)} (waited ${ms(threadsAfter.wait - threadsBefore.wait)})`,
      ].join('; ');
      return { result: relayed.result, took, stall, cause };
    };
    // With --requests, only those pages.
    if (!ONLY) {
      if (!EXPORT_ONLY) {
        const metrics = await probed(() => get(`/api/metrics?from=${monthFrom}&to=${monthTo}`));
        rows.push(['metrics for a month', ms(metrics.took), '', metrics.stall, metrics.cause]);
        const search = await probed(() => get(`/api/calls?student=ar&count=exact&pageSize=25`));
        rows.push(['student search "ar", exact count (scan)', ms(search.took), '', search.stall, search.cause]);
      }
      const before = memory(server.pid);
      let during = before.rssMb;
      const sampler = setInterval(() => (during = Math.max(during, memory(server.pid).rssMb)), 50);
      // Downloaded on a thread of its own: the 200 MB that go through it (and their garbage) do not hold up the probes' event loop.
      const exported = await probed(() => download(`${url}/api/calls/export.csv`, headers, values['download-on-probe-thread']));
      clearInterval(sampler);
      const rate = Math.round(exported.result / (exported.took / 1000));
      rows.push([
        `CSV export (${exported.result} rows)`,
        `${(exported.took / 1000).toFixed(1)} s`,
        '',
        exported.stall,
        `${rate} rows/s; server RSS ${before.rssMb.toFixed(0)} MB before, at most ${during.toFixed(0)} MB during (sampled every 50 ms), peak since start ${memory(server.pid).peakMb.toFixed(0)} MB; ${exported.cause}`,
      ]);
    }
  } finally {
    await relay?.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await prepared.cleanup();
  }
  console.log(`\n[${dialect}] ${prepared.calls} calls, ${RUNS} runs each, warm\n`);
  console.log('| request | p50 (or time) | p95 | while it runs: health · relayed candidate, p99 / max | |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

for (const dialect of values.db === 'both' ? ['sqlite', 'postgres'] : [values.db]) await bench(dialect);
