// `npm run bench:gateway`: the call server's gateway under load. N agents and M students on
// `socket.io-client` do the whole browser-like call setup (request, offer of ~2.5 KB and 6
// candidates relayed while it rings, accept, answer and 4 candidates, media connected on
// both sides, hang-up, wrap-up) against the built API (child process, fresh data directory,
// SQLite and/or a throw-away PostgreSQL database) and, interleaved round by round, against a
// bare Socket.IO relay of the same protocol (`bare-relay.ts`). Prints setups/s at saturation,
// server CPU per setup, hop latencies at a light fixed rate, error acks, and heap per idle
// authenticated socket; with `--history N`, also the product with N ended calls stored.
//
//   npm run bench:gateway -- [--pairs 200] [--setups 1000] [--seconds 12] [--rate 20]
//     [--light-setups 100] [--rounds 3] [--sockets 10000] [--db sqlite|postgres|both]
//     [--history 1000000] [--agents 2×pairs] [--students 5×pairs] [--smoke]
import { parseArgs } from 'node:util';
import type { LoginResponse } from '@switchboard/call-domain';
import { closeAll, connectAll, CallBench } from './gateway-calls';
import { median, percentile, type Hop, type PhaseResult } from './gateway-record';
import { benchAccounts, BENCH_PASSWORD, createProductDatabase, seedProductDatabase, startBare, startProduct, type BenchAccount, type ProductDatabase, type Target } from './gateway-targets';
import { freePort } from '@switchboard/browser-testing';

const { values: flags } = parseArgs({
  options: {
    pairs: { type: 'string', default: '200' },
    setups: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '12' },
    rate: { type: 'string', default: '20' },
    'light-setups': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    sockets: { type: 'string', default: '10000' },
    db: { type: 'string', default: 'both' },
    history: { type: 'string', default: '0' },
    agents: { type: 'string' },
    students: { type: 'string' },
    smoke: { type: 'boolean', default: false },
  },
  strict: true,
});
const smoke = flags.smoke;
const num = (name: keyof typeof flags, smokeValue: number) => (smoke ? smokeValue : Number(flags[name]));
const PAIRS = num('pairs', 5);
const SETUPS = num('setups', 20);
const PHASE_MS = num('seconds', 10) * 1000;
const RATE = num('rate', 20);
const LIGHT_SETUPS = num('light-setups', 10);
const ROUNDS = num('rounds', 1);
const SOCKETS = num('sockets', 200);
const HISTORY = smoke ? 0 : Number(flags.history);
const AGENTS = flags.agents ? Number(flags.agents) : 2 * PAIRS;
const STUDENTS = flags.students ? Number(flags.students) : 5 * PAIRS;
const DIALECTS = (smoke ? ['sqlite'] : flags.db === 'both' ? ['sqlite', 'postgres'] : [flags.db]) as ('sqlite' | 'postgres')[];
if (DIALECTS.some((d) => d !== 'sqlite' && d !== 'postgres')) throw new Error('--db must be sqlite, postgres or both');
if (SOCKETS > 10 * (AGENTS + STUDENTS)) throw new Error(`--sockets over 10 per account (the product's cap): at most ${10 * (AGENTS + STUDENTS)}`);

/** Everything measured on one target over the rounds. */
interface TargetFigures {
  label: string;
  saturation: PhaseResult[];
  cpuPerSetup: number[];
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
async function heapPerSocket(target: Target, tokens: readonly string[], count: number): Promise<number> {
  const spread = Array.from({ length: count }, (_, i) => tokens[i % tokens.length]);
  const before = await target.heapUsed();
  const sockets = await connectAll(target.url, spread);
  // Let the server finish what a connection starts (presence, rooms) before weighing it.
  await new Promise((r) => setTimeout(r, 1_000));
  const after = await target.heapUsed();
  await closeAll(sockets);
  return (after - before) / count;
}

async function runSection(dialect: 'sqlite' | 'postgres'): Promise<TargetFigures[]> {
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
    if (HISTORY > 0) {
      const full = await createProductDatabase(dialect);
      databases.push(full);
      const at = Date.now();
      await seedProductDatabase(full, accounts, HISTORY);
      console.log(`[${dialect}] seeded ${HISTORY} ended calls in ${((Date.now() - at) / 1000).toFixed(1)} s`);
      targets.push(await startProduct(full, await freePort()));
      labels.push(`product+${HISTORY} calls`);
    }
    const at = Date.now();
    const tokens = await signIn(targets[0].url, accounts);
    console.log(`[${dialect}] ${accounts.length} sign-ins through POST /api/auth/login in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    const tokenOf = (role: string) => accounts.filter((a) => a.role === role).map((a) => tokens.get(a.id) ?? '');
    const figures: TargetFigures[] = targets.map((_, i) => ({ label: labels[i], saturation: [], cpuPerSetup: [], light: [], heapPerSocket: null }));
    for (const [i, target] of targets.slice(0, 2).entries()) {
      figures[i].heapPerSocket = await heapPerSocket(target, [...tokenOf('student'), ...tokenOf('agent')], SOCKETS);
      console.log(`[${dialect}] ${labels[i]}: ${(figures[i].heapPerSocket / 1024).toFixed(1)} KB heap per idle socket at ${SOCKETS} sockets`);
    }
    for (const target of targets) benches.push(await CallBench.open(target.url, tokenOf('agent'), tokenOf('student')));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first, so drift and neighbours' noise hit every target alike.
      const order = targets.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const cpuBefore = await targets[i].cpuMs();
        const result = await benches[i].saturate(PAIRS, SETUPS, PHASE_MS);
        figures[i].saturation.push(result);
        figures[i].cpuPerSetup.push(((await targets[i].cpuMs()) - cpuBefore) / Math.max(1, result.setups));
        console.log(`[${dialect}] round ${round + 1} ${labels[i]}: ${result.setups} setups, ${result.rate.toFixed(1)}/s saturated, ${result.timeouts} timed out`);
      }
      for (const i of order) figures[i].light.push(await benches[i].fixedRate(RATE, LIGHT_SETUPS));
    }
    return figures;
  } finally {
    for (const bench of benches) await bench.close();
    for (const target of targets) await target.stop();
    for (const database of databases) await database.remove();
  }
}

const ms = (v: number) => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const pooled = (results: PhaseResult[], hop: Hop) => results.flatMap((r) => r.hops.get(hop) ?? []);
const errorsOf = (results: PhaseResult[]) => {
  const all = new Map<string, number>();
  for (const r of [...results]) for (const [k, n] of r.errors) all.set(k, (all.get(k) ?? 0) + n);
  return all;
};

function printSection(dialect: string, figures: TargetFigures[]): void {
  const [product] = figures;
  const rows: [string, (f: TargetFigures) => number, string][] = [
    ['setups/s at saturation (median)', (f) => median(f.saturation.map((r) => r.rate)), dialect === 'sqlite' ? '≥ 200' : '≥ 150'],
    ['server CPU ms per setup (median)', (f) => median(f.cpuPerSetup), '≤ 3× bare'],
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
    rows.push([`${name} p50 ms @${RATE}/s`, (f) => percentile(pooled(f.light, hop), 50), '']);
    rows.push([`${name} p99 ms @${RATE}/s`, (f) => percentile(pooled(f.light, hop), 99), hop === 'setup' || hop === 'acceptAck' ? '' : '≤ 10']);
  }
  rows.push(['heap KB per idle socket', (f) => (f.heapPerSocket === null ? NaN : f.heapPerSocket / 1024), '≤ 12']);
  const width = 38;
  console.log(`\nGateway — ${dialect} — ${PAIRS} pairs in flight, ${AGENTS} agents, ${STUDENTS} students, ${ROUNDS} round(s), ${SOCKETS} idle sockets, loopback`);
  console.log(`${'metric'.padEnd(width)} | ${figures.map((f) => f.label.padStart(12)).join(' | ')} | product/bare | target`);
  for (const [name, read, target] of rows) {
    const values = figures.map(read);
    console.log(`${name.padEnd(width)} | ${values.map((v) => ms(v).padStart(12)).join(' | ')} | ${ms(values[0] / values[1]).padStart(12)} | ${target}`);
  }
  for (const f of figures) {
    const all = [...f.saturation, ...f.light];
    const errors = errorsOf(all);
    const rateLimited = [...errors].filter(([k]) => k.endsWith(':rate_limited')).reduce((a, [, n]) => a + n, 0);
    const other = [...errors].filter(([k]) => !k.endsWith(':rate_limited'));
    const timeouts = all.reduce((a, r) => a + r.timeouts, 0);
    const skipped = f.light.reduce((a, r) => a + r.skipped, 0);
    console.log(`${f.label}: error acks ${other.reduce((a, [, n]) => a + n, 0)}${other.length ? ` (${other.map(([k, n]) => `${k} ×${n}`).join(', ')})` : ''}, rate_limited ${rateLimited}, timed-out calls ${timeouts}, skipped starts ${skipped}`);
  }
  if (figures.length > 2) {
    const rate = (f: TargetFigures) => median(f.saturation.map((r) => r.rate));
    console.log(`history: ${figures[2].label} ${rate(figures[2]).toFixed(1)} setups/s = ${((100 * rate(figures[2])) / rate(product)).toFixed(0)} % of empty (target ≥ 90 %)`);
  }
}

async function main(): Promise<void> {
  const results: [string, TargetFigures[]][] = [];
  for (const dialect of DIALECTS) results.push([dialect, await runSection(dialect)]);
  for (const [dialect, figures] of results) printSection(dialect, figures);
  const failed = results.some(([, figures]) => figures.some((f) => [...f.saturation, ...f.light].some((r) => r.errors.size > 0 || r.timeouts > 0)));
  if (smoke && failed) throw new Error('smoke run: error acks or timed-out calls (see above)');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
