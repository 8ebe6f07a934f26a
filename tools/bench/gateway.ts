// `npm run bench:gateway`: the call server's gateway under load. N agents and M students on
// `socket.io-client` do the whole browser-like call setup (request, offer of ~2.5 KB and 6
// candidates relayed while it rings, accept, answer and 4 candidates, media connected on
// both sides, hang-up, wrap-up) against the built API (child process, fresh data directory,
// SQLite and/or a throw-away PostgreSQL database) and, interleaved round by round, against a
// bare Socket.IO relay of the same protocol (`bare-relay.ts`). Prints setups/s at saturation,
// server CPU per setup (during the phase, and with what the phase left for later: filing,
// checkpoints, counted until the server is at rest again), hop latencies at a light fixed
// rate, error acks, and heap per idle authenticated socket; with `--history N`, also the
// product with N ended calls stored.
//
//   npm run bench:gateway -- [--pairs 200] [--setups 1000] [--seconds 12] [--rate 20]
//     [--light-setups 100] [--rounds 3] [--sockets 10000] [--db sqlite|postgres|both]
//     [--history 1000000] [--agents 2×pairs] [--students 5×pairs] [--smoke] [--baseline DIR]
//
// `--baseline dist/api-base` also drives a second build of the API (copy `dist/api` there
// before changing the code) on a database of its own, interleaved with the others in every
// round: before and after in one run, under the same load from neighbours. With `--history` on
// SQLite the baseline also runs on a copy of the seeded history (refused before seeding unless
// both builds carry the same migrations).
//
// `--smoke` (SQLite, 5 pairs, 200 sockets, ~15 s) fails on any error ack, timed-out call or
// lost socket. Any error ack is a failure of the target; rate_limited acks are listed apart.
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { LoginResponse } from '@switchboard/call-domain';
import { closeAll, connectAll, CallBench } from './gateway-calls';
import { median, percentile, type Hop, type PhaseResult } from './gateway-record';
import { benchAccounts, BENCH_PASSWORD, createProductDatabase, filingEveryMs, seedProductDatabase, startBare, startProduct, type BenchAccount, type ProductDatabase, type Target } from './gateway-targets';
import { freePort } from '@switchboard/browser-testing';

const { values: flags } = parseArgs({
  options: {
    pairs: { type: 'string' },
    setups: { type: 'string' },
    seconds: { type: 'string' },
    rate: { type: 'string' },
    'light-setups': { type: 'string' },
    rounds: { type: 'string' },
    sockets: { type: 'string' },
    db: { type: 'string' },
    history: { type: 'string' },
    agents: { type: 'string' },
    students: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
  strict: true,
});
// `--smoke` only changes the defaults: a run of seconds that proves every part works.
const smoke = flags.smoke;
const num = (name: Exclude<keyof typeof flags, 'smoke' | 'db' | 'baseline'>, full: number, small: number) => (flags[name] !== undefined ? Number(flags[name]) : smoke ? small : full);
const PAIRS = num('pairs', 200, 5);
const SETUPS = num('setups', 1000, 20);
const PHASE_MS = num('seconds', 12, 10) * 1000;
/** Setups of the unrecorded saturated burst on each target before the rounds (at most `--setups`). */
const WARM_SATURATED_SETUPS = 300;
const RATE = num('rate', 20, 20);
const LIGHT_SETUPS = num('light-setups', 100, 10);
const ROUNDS = num('rounds', 3, 1);
const SOCKETS = num('sockets', 10_000, 200);
const HISTORY = num('history', 0, 0);
const AGENTS = num('agents', 2 * PAIRS, 2 * PAIRS);
const STUDENTS = num('students', 5 * PAIRS, 5 * PAIRS);
const DIALECTS = (flags.db === undefined ? (smoke ? ['sqlite'] : ['sqlite', 'postgres']) : flags.db === 'both' ? ['sqlite', 'postgres'] : [flags.db]) as ('sqlite' | 'postgres')[];
if (DIALECTS.some((d) => d !== 'sqlite' && d !== 'postgres')) throw new Error('--db must be sqlite, postgres or both');
if (SOCKETS > 10 * (AGENTS + STUDENTS)) throw new Error(`--sockets over 10 per account (the product's cap): at most ${10 * (AGENTS + STUDENTS)}`);

/**
 * How long the bench waits after a product's saturated phase on SQLite before it is measured
 * at rest: the product files ended calls into the history's sort indexes every
 * `FILING_EVERY_MS` (read from its build), so this wait, a second more, takes in the pass that
 * files the phase's last calls. Their cost is the setups' cost, and the next target's phase
 * then does not share the machine with it.
 */
const FILED_AFTER_MS = filingEveryMs() + 1_000;
/**
 * How long each target's CPU at rest is measured, once after the warm-up: its periodic work
 * averaged (sweeps every 2 s; every 10 s, SQLite's filing and the product's Socket.IO pings to
 * every socket). Samples of 3 s read 13–53 ms/s on the same build in one run.
 */
const IDLE_SAMPLE_MS = 25_000;

/** Everything measured on one target over the rounds. */
interface TargetFigures {
  label: string;
  saturation: PhaseResult[];
  /** Server process plus its PostgreSQL backends. */
  cpuPerSetup: number[];
  /**
   * The same counted until the target is at rest after the phase (SQLite products: a filing
   * pass later, {@link FILED_AFTER_MS}), its CPU at rest over that wait taken out: the work a
   * phase's setups leave for later (filing, checkpoints, wrap-up timers) included.
   */
  cpuWithLaterWorkPerSetup: number[];
  databaseCpuPerSetup: number[];
  /** This process's (all the clients') CPU per setup: a bound on what the target figures can show. */
  clientCpuPerSetup: number[];
  light: PhaseResult[];
  heapPerSocket: number | null;
}

async function signIn(url: string, accounts: readonly BenchAccount[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const queue = [...accounts];
  const worker = async () => {
    for (let a = queue.shift(); a; a = queue.shift()) {
      const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: a.username, password: BENCH_PASSWORD }) });
      if (!res.ok) throw new Error(`sign-in of ${a.username} failed: ${res.status} ${await res.text()}`);
      tokens.set(a.id, ((await res.json()) as LoginResponse).accessToken);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return tokens;
}

/** Heap per idle authenticated socket: heap after opening `count` sockets minus before, over `count`. */
async function heapPerSocket(target: Target, tokens: readonly string[], count: number): Promise<{ bytes: number; openSeconds: number }> {
  const spread = Array.from({ length: count }, (_, i) => tokens[i % tokens.length]);
  await waitUntilQuiet([target]);
  const before = await target.heapUsed();
  const at = Date.now();
  const sockets = await connectAll(target.url, spread);
  const openSeconds = (Date.now() - at) / 1000;
  // Let the server finish what a connection starts (presence, rooms) before weighing it.
  await waitUntilQuiet([target]);
  const after = await target.heapUsed();
  await closeAll(sockets);
  return { bytes: (after - before) / count, openSeconds };
}

/**
 * Waits (at most 30 s) until the targets' CPU use (servers and databases) stays under 10 % of
 * a core over half a second: what the previous step started on any of them (disconnects,
 * wrap-ups, a database's tail of writes) is done. All of them, not only the one measured next:
 * the target measured right after another's saturated phase otherwise shares the machine with
 * its tail, and which target that is depends on its place in the round's order.
 */
async function waitUntilQuiet(targets: readonly Target[]): Promise<void> {
  const total = async () => {
    let sum = 0;
    for (const target of targets) {
      const { server, database } = await target.cpuMs();
      sum += server + database;
    }
    return sum;
  };
  const deadline = Date.now() + 30_000;
  let last = await total();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await total();
    if (now - last < 50) return;
    last = now;
  }
}

type CpuReading = Awaited<ReturnType<Target['cpuMs']>>;

/** A target's CPU (server and database) between two readings, ms. */
function cpuSpent(before: CpuReading, after: CpuReading): number {
  return after.server + after.database - before.server - before.database;
}

/**
 * Refuses (before minutes of seeding) to run two builds on copies of one history unless they
 * carry the same migrations, by file name: the copy is migrated by the first.
 */
function sameMigrations(product: string, baseline: string): void {
  const of = (apiDir: string) => readdirSync(join(apiDir, 'apps/api/src/database/migrations')).filter((f) => /^\d{4}-.*\.js$/.test(f)).sort().join(' ');
  if (of(product) !== of(baseline)) throw new Error(`--baseline ${baseline} carries other migrations than ${product}: it cannot run on a copy of the seeded history (compare without --history)`);
}

async function runSection(dialect: 'sqlite' | 'postgres', measureHeap: boolean): Promise<TargetFigures[]> {
  const accounts = benchAccounts(AGENTS, STUDENTS);
  const databases: ProductDatabase[] = [];
  const targets: Target[] = [];
  const benches: CallBench[] = [];
  try {
    const empty = await createProductDatabase(dialect);
    databases.push(empty);
    await seedProductDatabase(empty, accounts, 0);
    targets.push(await startProduct(empty, await freePort()));
    targets.push(await startBare());
    const labels = ['product', 'bare'];
    let baseFull: ProductDatabase | undefined;
    if (HISTORY > 0) {
      if (flags.baseline && dialect === 'sqlite') sameMigrations('dist/api', flags.baseline);
      const full = await createProductDatabase(dialect);
      databases.push(full);
      const at = Date.now();
      await seedProductDatabase(full, accounts, HISTORY);
      console.log(`[${dialect}] seeded ${HISTORY} ended calls in ${((Date.now() - at) / 1000).toFixed(1)} s`);
      if (flags.baseline && dialect === 'sqlite') {
        // The baseline gets the same history: a copy of the file, before anything opens it
        // (the seeding closed its connections, so the WAL is folded into it). Both builds have
        // the same migrations (checked before seeding).
        const wal = join(full.dataDir, 'switchboard.sqlite-wal');
        if (existsSync(wal) && statSync(wal).size > 0) throw new Error(`the seeded history's WAL was not folded into its file (${wal}): not copied`);
        baseFull = await createProductDatabase(dialect);
        databases.push(baseFull);
        copyFileSync(join(full.dataDir, 'switchboard.sqlite'), join(baseFull.dataDir, 'switchboard.sqlite'));
      }
      targets.push(await startProduct(full, await freePort()));
      labels.push(`product+${HISTORY} calls`);
    }
    if (flags.baseline) {
      const base = await createProductDatabase(dialect);
      databases.push(base);
      await seedProductDatabase(base, accounts, 0, flags.baseline);
      targets.push(await startProduct(base, await freePort(), flags.baseline));
      labels.push(`baseline ${flags.baseline}`);
      if (baseFull) {
        targets.push(await startProduct(baseFull, await freePort(), flags.baseline));
        labels.push(`baseline+${HISTORY} calls`);
      }
    }
    const at = Date.now();
    const tokens = await signIn(targets[0].url, accounts);
    console.log(`[${dialect}] ${accounts.length} sign-ins through POST /api/auth/login in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    // A product checks the sign-in session in its own database: each other product signs in there too.
    const tokensOf = new Map<number, Map<string, string>>();
    for (let i = 2; i < targets.length; i++) tokensOf.set(i, await signIn(targets[i].url, accounts));
    const tokenOf = (role: string, target = 0) => accounts.filter((a) => a.role === role).map((a) => (tokensOf.get(target) ?? tokens).get(a.id) ?? '');
    const figures: TargetFigures[] = targets.map((_, i) => ({ label: labels[i], saturation: [], cpuPerSetup: [], cpuWithLaterWorkPerSetup: [], databaseCpuPerSetup: [], clientCpuPerSetup: [], light: [], heapPerSocket: null }));
    // Heap per socket does not depend on the storage: weighed in the run's first section only,
    // on every target alike. Weighing the product alone (two full collections and a burst of
    // sockets before the rounds) left it slower than the same build in the baseline's place:
    // 7.53 against 6.64 ms of CPU per setup in one run, 6.97 against 6.85 without the weighing.
    for (const [i, target] of (measureHeap ? targets : []).entries()) {
      // Students' tokens first (up to the cap of 10 each): idle callers, no agent presence churn.
      const students = tokenOf('student', i);
      const pool = SOCKETS <= 10 * students.length ? students : [...students, ...tokenOf('agent', i)];
      const heap = await heapPerSocket(target, pool, SOCKETS);
      figures[i].heapPerSocket = heap.bytes;
      console.log(`[${dialect}] ${labels[i]}: ${(heap.bytes / 1024).toFixed(1)} KB heap per idle socket at ${SOCKETS} sockets (opened in ${heap.openSeconds.toFixed(1)} s)`);
    }
    for (const [i, target] of targets.entries()) benches.push(await CallBench.open(target.url, tokenOf('agent', i), tokenOf('student', i)));
    // A first few calls on each, unrecorded: connections warm, code paths compiled. Then a
    // short saturated burst on each (bare relay included), unrecorded too, so that round 1 does
    // not also measure the code under concurrency being compiled and a fresh database file
    // growing: in several runs without it round 1 was the slowest of every target (e.g.
    // 170–173 setups/s against 208–281 in rounds 2–3, the product and its baseline alike).
    for (const bench of benches) await bench.fixedRate(RATE, Math.min(LIGHT_SETUPS, 20));
    for (const bench of benches) await bench.saturate(PAIRS, Math.min(SETUPS, WARM_SATURATED_SETUPS), PHASE_MS);
    console.log(`[${dialect}] ${targets.length} × ${accounts.length} call sockets open, agents available, warmed up`);
    // Each target's CPU at rest (timers, sweeps, heartbeats), ms per ms: taken out of the wait
    // after each phase below. After the warm-up's calls are filed, so that their filing is not
    // in the sample (the periodic passes are).
    await delay(FILED_AFTER_MS);
    const idleRate: number[] = [];
    await waitUntilQuiet(targets);
    const before = await Promise.all(targets.map((target) => target.cpuMs()));
    await delay(IDLE_SAMPLE_MS);
    for (const [i, target] of targets.entries()) {
      const after = await target.cpuMs();
      idleRate.push(cpuSpent(before[i], after) / IDLE_SAMPLE_MS);
    }
    console.log(`[${dialect}] CPU at rest: ${labels.map((label, i) => `${label} ${(idleRate[i] * 1000).toFixed(1)} ms/s`).join(', ')}`);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first, so drift and neighbours' noise hit every target alike.
      const order = targets.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        await waitUntilQuiet(targets);
        const cpuBefore = await targets[i].cpuMs();
        const clientBefore = process.cpuUsage();
        const result = await benches[i].saturate(PAIRS, SETUPS, PHASE_MS);
        const cpuAfter = await targets[i].cpuMs();
        const client = process.cpuUsage(clientBefore);
        const per = (ms: number) => ms / Math.max(1, result.setups);
        // At rest again: a filing pass later on a SQLite product, then quiet. (Its light phase
        // before the next round's saturated one is not waited for: ~100 calls' filing may fall
        // in that phase.)
        const restingFrom = Date.now();
        if (targets[i].name === 'product' && dialect === 'sqlite') await delay(FILED_AFTER_MS);
        await waitUntilQuiet([targets[i]]);
        const cpuRested = await targets[i].cpuMs();
        const atRest = idleRate[i] * (Date.now() - restingFrom);
        figures[i].saturation.push(result);
        figures[i].cpuPerSetup.push(per(cpuSpent(cpuBefore, cpuAfter)));
        figures[i].cpuWithLaterWorkPerSetup.push(per(Math.max(0, cpuSpent(cpuBefore, cpuRested) - atRest)));
        figures[i].databaseCpuPerSetup.push(per(cpuAfter.database - cpuBefore.database));
        figures[i].clientCpuPerSetup.push(per((client.user + client.system) / 1000));
        console.log(`[${dialect}] round ${round + 1} ${labels[i]}: ${result.setups} setups, ${result.rate.toFixed(1)}/s saturated, ${result.timeouts} timed out`);
      }
      for (const i of order) {
        await waitUntilQuiet(targets);
        const result = await benches[i].fixedRate(RATE, LIGHT_SETUPS);
        figures[i].light.push(result);
        console.log(`[${dialect}] round ${round + 1} ${labels[i]}: ${result.setups} setups at ${RATE}/s, ${result.timeouts} timed out`);
      }
    }
    for (const [i, f] of figures.entries()) {
      const troubled = [...f.saturation, ...f.light].some((r) => r.errors.size > 0 || r.timeouts > 0 || r.lostSockets.size > 0);
      if (troubled && targets[i].logTail()) console.log(`[${dialect}] ${f.label} server log (tail):\n${targets[i].logTail().slice(-1500)}`);
    }
    return figures;
  } finally {
    for (const bench of benches) await bench.close();
    for (const target of targets) await target.stop();
    for (const database of databases) await database.remove();
  }
}

const ms = (v: number) => (!Number.isFinite(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const pooled = (results: PhaseResult[], hop: Hop) => results.flatMap((r) => r.hops.get(hop) ?? []);
const errorsOf = (results: PhaseResult[]) => {
  const all = new Map<string, number>();
  for (const r of [...results]) for (const [k, n] of r.errors) all.set(k, (all.get(k) ?? 0) + n);
  return all;
};

function printSection(dialect: string, figures: TargetFigures[]): void {
  const [product, bare, ...others] = figures;
  const history = others.find((f) => f.label.startsWith('product+'));
  const baseline = others.find((f) => f.label.startsWith('baseline '));
  const baselineHistory = others.find((f) => f.label.startsWith('baseline+'));
  const rows: [string, (f: TargetFigures) => number, string][] = [
    ['setups/s at saturation (median)', (f) => median(f.saturation.map((r) => r.rate)), dialect === 'sqlite' ? '≥ 200' : '≥ 150'],
    ['server CPU ms per setup (median)', (f) => median(f.cpuPerSetup), '≤ 3× bare'],
    ['  with the work left for later', (f) => median(f.cpuWithLaterWorkPerSetup), '≤ 3× bare'],
    ['  of which PostgreSQL backends', (f) => median(f.databaseCpuPerSetup), ''],
    ['client CPU ms per setup (median)', (f) => median(f.clientCpuPerSetup), ''],
    ['full setup p50 ms, saturated', (f) => percentile(pooled(f.saturation, 'setup'), 50), ''],
    ['full setup p99 ms, saturated', (f) => percentile(pooled(f.saturation, 'setup'), 99), ''],
  ];
  const hopNames: [Hop, string][] = [
    ['offer', 'sendOffer → offerRelayed'],
    ['callerCandidate', 'caller candidate → agent'],
    ['answer', 'sendAnswer → answerRelayed'],
    ['agentCandidate', 'agent candidate → caller'],
    ['acceptAck', 'acceptCall ack'],
    ['setup', 'full setup'],
  ];
  for (const [hop, name] of hopNames) {
    const relay = hop !== 'setup' && hop !== 'acceptAck';
    rows.push([`${name} p50 ms @${RATE}/s`, (f) => percentile(pooled(f.light, hop), 50), '']);
    rows.push([`${name} p99 ms @${RATE}/s`, (f) => percentile(pooled(f.light, hop), 99), relay ? '≤ 10' : '']);
  }
  rows.push([`heap KB per idle socket (${SOCKETS}, 1st --db)`, (f) => (f.heapPerSocket === null ? NaN : f.heapPerSocket / 1024), '≤ 12']);
  const width = 40;
  const cell = (v: number) => ms(v).padStart(12);
  const extra = others.map((f) => ` | ${f.label.padStart(20)}`).join('');
  console.log(`\nGateway — ${dialect} — ${PAIRS} pairs in flight, ${AGENTS} agents, ${STUDENTS} students, ${ROUNDS} round(s), ${RATE}/s light phase, loopback`);
  console.log(`${'metric'.padEnd(width)} | ${'product'.padStart(12)} | ${'bare'.padStart(12)} | ${'product/bare'.padStart(12)}${extra} | target`);
  for (const [name, read, target] of rows) {
    const [p, b] = [read(product), read(bare)];
    const h = others.map((f) => ` | ${ms(read(f)).padStart(20)}`).join('');
    console.log(`${name.padEnd(width)} | ${cell(p)} | ${cell(b)} | ${cell(p / b)}${h} | ${target}`);
  }
  for (const f of figures) {
    const all = [...f.saturation, ...f.light];
    const errors = errorsOf(all);
    const rateLimited = [...errors].filter(([k]) => k.endsWith(':rate_limited')).reduce((a, [, n]) => a + n, 0);
    const other = [...errors].filter(([k]) => !k.endsWith(':rate_limited'));
    const timeouts = all.reduce((a, r) => a + r.timeouts, 0);
    const skipped = f.light.reduce((a, r) => a + r.skipped, 0);
    const setups = all.reduce((a, r) => a + r.setups, 0);
    const listed = other.length ? ` (${other.map(([k, n]) => `${k} ×${n}`).join(', ')})` : '';
    const lost = new Map<string, number>();
    for (const r of all) for (const [reason, n] of r.lostSockets) lost.set(reason, (lost.get(reason) ?? 0) + n);
    const lostText = [...lost].map(([reason, n]) => `${reason} ×${n}`).join(', ') || '0';
    console.log(`${f.label}: ${setups} calls completed; error acks ${other.reduce((a, [, n]) => a + n, 0)}${listed}; rate_limited ${rateLimited}; timed-out calls ${timeouts}; skipped starts ${skipped}; call sockets lost ${lostText}`);
  }
  if (history) printHistory(history, product);
  if (baselineHistory && baseline) printHistory(baselineHistory, baseline);
}

/** A build with the history against the same build on an empty database. */
function printHistory(full: TargetFigures, empty: TargetFigures): void {
  const rate = (f: TargetFigures) => median(f.saturation.map((r) => r.rate));
  const share = (a: number, b: number) => `${((100 * a) / b).toFixed(0)} %`;
  // Each round's share too: the two phases of a round run minutes apart at most, the medians'
  // phases may not, and this machine's speed drifts (a whole round at two thirds of the others').
  const shares = full.saturation.map((r, k) => r.rate / (empty.saturation[k]?.rate ?? NaN));
  const rounds = shares.map((x) => share(x, 1)).join(', ');
  console.log(`history: ${full.label} at ${rate(full).toFixed(1)} setups/s = ${share(rate(full), rate(empty))} of ${empty.label} (target ≥ 90 %; rounds ${rounds}, their median ${share(median(shares), 1)})`);
  const later = (f: TargetFigures) => median(f.cpuWithLaterWorkPerSetup);
  console.log(`history: ${full.label}: CPU per setup with the work left for later ${ms(later(full))} ms against ${ms(later(empty))} = ${share(later(full), later(empty))}`);
}

async function main(): Promise<void> {
  const results: [string, TargetFigures[]][] = [];
  for (const [n, dialect] of DIALECTS.entries()) results.push([dialect, await runSection(dialect, n === 0)]);
  for (const [dialect, figures] of results) printSection(dialect, figures);
  const failed = results.some(([, figures]) => figures.some((f) => [...f.saturation, ...f.light].some((r) => r.errors.size > 0 || r.timeouts > 0 || r.lostSockets.size > 0)));
  if (smoke && failed) throw new Error('smoke run: error acks or timed-out calls (see above)');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
