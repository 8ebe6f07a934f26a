// `npm test`: every check, in the order that fails fastest. Each stage's own runner prints
// its results; this script adds up the test counts and ends with one summary line.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { ensureChromium } from './ensure-chromium.mjs';
import { ensureRedisServer } from './ensure-redis-server.mjs';
import { ensureNatTools } from './ensure-nat-tools.mjs';

/** The browser end-to-end suites: their NAT suite needs coturn and iptables (ensureNatTools). */
const BROWSER_STAGE = ['end-to-end: browser (Playwright, Chromium)', 'npx', ['jasmine', '--config=jasmine.browser.json']];

/**
 * The stages, in steps run one after the other. A step's lanes run at the same time (each
 * lane's stages one after the other): stages that neither read what the other writes nor wait
 * for it, side by side on a 2-core machine where each alone leaves a core idle part of the
 * time (816 s instead of 1 092 on a slow machine of this kind). The first lane's output comes
 * as it is written, the others' go to LOG_DIR as they come and are shown once the step ends.
 */
const STEPS = [
  // The module-boundary rule reads Nx's project graph: `npm run lint` computes it first
  // (plain eslint on a fresh checkout would skip the rule with only a warning).
  [[['lint (module boundaries)', 'npm', ['run', '-s', 'lint']]], [['type check + build: API, tools, call domain', 'npm', ['run', '-s', 'build:api']]]],
  [[['type check + build: specs', 'npm', ['run', '-s', 'build:specs']]], [['type check + production build: portal (with budget)', 'npm', ['run', '-s', 'build:portal']]]],
  [
    [['unit: API and call domain (Jasmine, Node)', 'npx', ['jasmine', '--config=jasmine.unit.json']]],
    [
      ['unit: call-signaling (Karma, Chromium)', 'npx', ['ng', 'test', 'call-signaling']],
      ['unit: ui (Karma, Chromium)', 'npx', ['ng', 'test', 'ui']],
      ['unit: portal (Karma, Chromium)', 'npx', ['ng', 'test', 'portal']],
    ],
  ],
  // The API end-to-end specs in two Jasmine processes at once (each suite has its own port,
  // data directory, PostgreSQL database and Redis key prefix), and the browser specs beside
  // them (their own ports, data directories and network namespaces): much of both is spent
  // waiting on timers, child API processes, restarts and calls ringing, not on CPU.
  [[['end-to-end: API (socket.io-client, HTTP)', 'npx', ['jasmine', '--config=jasmine.e2e.json'], e2eShards]], [BROWSER_STAGE]],
];

const only = process.argv.slice(2);
const selected = (name) => only.length === 0 || only.some((o) => name.includes(o));
const env = { ...process.env, CHROME_BIN: ensureChromium(), REDIS_SERVER_BIN: ensureRedisServer(), NX_DAEMON: 'false', NG_CLI_ANALYTICS: 'false', FORCE_COLOR: '0' };
if (selected(BROWSER_STAGE[0])) ensureNatTools();

/** Where the output of the lanes and shards not shown as it comes is written as it comes (a run cut short still has it). */
const LOG_DIR = 'dist/test-logs';

let passed = 0;
let failed = 0;
const started = Date.now();
for (const step of STEPS) {
  // A stage's shards are listed before any lane starts: a stage that cannot start stops the run with nothing running.
  const lanes = step
    .map((lane) => lane.filter(([name]) => selected(name)).map(([name, cmd, args, shards]) => [name, cmd, args, shards?.()]))
    .filter((lane) => lane.length > 0);
  if (lanes.length === 0) continue;
  if (lanes.length > 1) console.log(`\n${lanes.length} lanes at once: ${lanes.map((lane) => lane.map(([name]) => name).join(', then ')).join(' | ')}; the first one's output follows, the others' once all have ended`);
  const results = await Promise.all(lanes.map((lane, i) => runLane(lane, i > 0)));
  for (const [i, { log }] of results.entries()) if (i > 0) process.stdout.write(`\n--- lane ${i + 1} of ${lanes.length}\n${log}`);
  if (results.some((r) => !r.ok)) {
    console.log(`\ntests: ${passed} passed, ${failed} failed`);
    process.exit(1);
  }
}
console.log(`\nAll stages passed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
console.log(`tests: ${passed} passed, ${failed} failed`);

/**
 * Runs a lane's stages one after the other, up to the first that fails (a stage that fails
 * without a failing test, like lint or a build, counts as one failure). `quiet`: its output is
 * kept (returned as `log`, and written to a file of {@link LOG_DIR} as it comes) instead of
 * shown as it comes.
 */
async function runLane(stages, quiet) {
  let log = '';
  for (const [name, cmd, args, shards] of stages) {
    const file = quiet ? logFile(name) : null;
    if (file) console.log(`(${name}: its output goes to ${file} as it comes)`);
    const say = (line) => {
      if (file) log += `${line}\n`;
      show(`${line}\n`, file);
    };
    say(`\n=== ${name}`);
    const t0 = Date.now();
    const { code, counts, output } = shards ? await runShards(cmd, args, shards, name, file) : await runCounted(cmd, args, file);
    log += output;
    passed += counts.passed;
    failed += counts.failed;
    say(`=== ${name}: ${code === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (code !== 0) {
      if (counts.failed === 0) failed += 1;
      return { ok: false, log };
    }
  }
  return { ok: true, log };
}

/** A new empty file of {@link LOG_DIR} for `name`'s output. */
function logFile(name) {
  mkdirSync(LOG_DIR, { recursive: true });
  const path = `${LOG_DIR}/${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.log`;
  writeFileSync(path, '');
  return path;
}

/** Output of a stage: appended to `file` if given (a lane or shard shown later), else shown now on `out`. */
function show(text, file, out = process.stdout) {
  if (file) appendFileSync(file, text);
  else out.write(text);
}

/** Runs a stage's command: its output shown as it comes, or with `file`, written there as it comes instead; and returned. */
function run(cmd, args, file = null) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const tee = (stream, out) =>
      stream.on('data', (d) => {
        output += d;
        show(d, file, out);
      });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function runCounted(cmd, args, file) {
  const { code, output } = await run(cmd, args, file);
  return { code, counts: countTests(output), output };
}

/**
 * Runs the command once per shard (its spec files as arguments), all at once: the first
 * shard's output as it comes (to `file`, if given), the others' to files of their own as they
 * come and shown once every shard has ended. Fails if any shard fails.
 */
async function runShards(cmd, args, shards, name, file) {
  const files = shards.map((_, i) => (i === 0 ? file : logFile(`${name} shard ${i + 1}`)));
  let output = `${shards.length} Jasmine processes at once: the first one's output follows, the others' once all have ended (as they come: ${files.slice(1).join(', ')})\n`;
  show(output, file);
  const runs = shards.map((specs, i) => run(cmd, [...args, ...specs], files[i]));
  const results = [];
  for (const [i, result] of (await Promise.all(runs)).entries()) {
    const shown = i > 0 ? `\n--- shard ${i + 1} of ${shards.length} (${shards[i].length} spec files)\n${result.output}` : result.output;
    if (i > 0) show(shown, file);
    output += shown;
    results.push({ code: result.code, counts: countTests(result.output) });
  }
  return {
    output,
    code: results.find((r) => r.code !== 0)?.code ?? 0,
    counts: results.reduce((sum, r) => ({ passed: sum.passed + r.counts.passed, failed: sum.failed + r.counts.failed }), { passed: 0, failed: 0 }),
  };
}

/**
 * The API end-to-end spec files (once built) in two shards of about equal time (~4 min each
 * alone on a fast machine of this kind, ~9 beside the browser suites on a slow one): the long suites that mostly wait on child processes and timers
 * (named here) beside all the others. A named file that is not there stops the run, so the
 * list cannot rot.
 */
function e2eShards() {
  const dir = 'dist/api-spec/apps/api/e2e';
  if (!existsSync(dir)) throw new Error(`${dir} is not built: run \`npm test\` (or \`npm run build:specs\` first)`);
  const all = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.e2e-spec.js')).sort().map((f) => `${dir}/${f}`);
  const long = ['chaos', 'history-scale', 'queue-feed', 'call-timers', 'redis-outage', 'caller-blip'].map((n) => `${dir}/${n}.e2e-spec.js`);
  const missing = long.filter((f) => !all.includes(f));
  if (missing.length > 0) throw new Error(`tools/test.mjs names API end-to-end specs that are not built: ${missing.join(', ')}`);
  return [long, all.filter((f) => !long.includes(f))];
}

/** Reads Jasmine's "N specs, M failures" and Karma's "TOTAL: …" lines. */
function countTests(output) {
  // eslint-disable-next-line no-control-regex -- strips the runners' colour codes
  const text = output.replace(/\u001b\[[0-9;]*m/g, '');
  const jasmine = [...text.matchAll(/^(\d+) specs?, (\d+) failures?/gm)].at(-1);
  if (jasmine) return { passed: +jasmine[1] - +jasmine[2], failed: +jasmine[2] };
  const karma = [...text.matchAll(/TOTAL: (?:(\d+) FAILED, )?(\d+) SUCCESS/g)].at(-1);
  if (karma) return { passed: +karma[2], failed: +(karma[1] ?? 0) };
  const karmaFailedOnly = [...text.matchAll(/TOTAL: (\d+) FAILED/g)].at(-1);
  if (karmaFailedOnly) return { passed: 0, failed: +karmaFailedOnly[1] };
  return { passed: 0, failed: 0 };
}
