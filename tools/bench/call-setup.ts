// `npm run bench:call-setup [-- --net loopback|nat|both --calls N --ring-ms MS --delay-ms MS --max-minutes M]`:
// places calls through the real app (built portal + API, Debian's Chromium, a fake microphone
// playing a tone) and prints how long the agent waits after clicking Accept: until the call
// panel shows the call connected (its talk time: the session judged the media connected — with
// early media the peer connection may have connected while it rang, which does not count), and
// until the first audio arrives (inbound audio energy > 0).
// It measures the product's early offer (the caller offers and gathers ICE while it rings)
// and the late-offer baseline (`/help?offer=late`: the offer is created only after the
// accept), interleaved call by call in the same run, so the ratio shows what the design buys.
//
// Two networks (default: both, one after the other):
// - `loopback`: everything on 127.0.0.1, no ICE servers.
// - `nat` (root): the NAT suite's topology (apps/portal-e2e/src/support/nat-topology.ts) — the
//   student's Chromium at home, the agent's on campus, each behind its own NAT, the API and
//   coturn on the public side, every router's link to the public side delayed by `--delay-ms`
//   each way (50 ms: 100 ms round trip to the API, 200 ms between the parties) — with
//   STUN_URLS, TURN_URLS and TURN_SECRET set, so both gather host, srflx and relay candidates
//   (the call can only connect through the relay).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type AppServer, NatTopology, hidden, launchChromium, signIn, startAppServer, startTurnServer, visible } from '@switchboard/browser-testing';

const { values: args } = parseArgs({
  options: {
    net: { type: 'string', default: 'both' },
    calls: { type: 'string', default: process.env['CALLS'] ?? '10' },
    'ring-ms': { type: 'string', default: process.env['RING_MS'] ?? '1500' },
    'delay-ms': { type: 'string', default: '50' },
    'max-minutes': { type: 'string', default: '15' },
    trace: { type: 'boolean', default: false },
  },
});
const CALLS = Number(args.calls);
/** Calls start at least this far apart (see {@link measure}). */
const MIN_CALL_MS = 3_000;
const RING_MS = Number(args['ring-ms']);
const DELAY_MS = Number(args['delay-ms']);
/** The whole run stops placing calls after this (the calls measured so far are reported). */
const DEADLINE = Date.now() + Number(args['max-minutes']) * 60_000;
const NETWORKS = args.net === 'both' ? (['loopback', 'nat'] as const) : ([args.net] as ('loopback' | 'nat')[]);
if (!NETWORKS.every((n) => n === 'loopback' || n === 'nat') || !(CALLS >= 1) || !(RING_MS >= 0) || !(DELAY_MS >= 0)) {
  console.error('usage: call-setup.js [--net loopback|nat|both] [--calls N] [--ring-ms MS] [--delay-ms MS] [--max-minutes M]');
  process.exit(2);
}

type Mode = 'early' | 'late';
type Samples = Record<Mode, { connected: number[]; audio: number[] }>;

/** Timestamps the agent's page records, on its own clock (performance.now()). */
interface Marks {
  acceptAt: number | null;
  connectedAt: number | null;
  firstAudioAt: number | null;
  /** `--trace`: what the agent's peer connections did, and when. */
  events: [string, number][];
}

/**
 * Before any page script: remember the time of the click on Accept, poll the page every 5 ms
 * for the call panel's talk time (the call connected), and the peer connections' stats for
 * the first inbound audio.
 */
async function instrumentAgent(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const marks: Marks = { acceptAt: null, connectedAt: null, firstAudioAt: null, events: [] };
    (window as unknown as { __marks: Marks }).__marks = marks;
    document.addEventListener(
      'click',
      (e) => {
        const button = (e.target as Element | null)?.closest('button');
        if (/\bAccept$/.test(button?.textContent?.trim() ?? '')) {
          marks.acceptAt = performance.now();
          marks.connectedAt = null;
          marks.firstAudioAt = null;
          // The connection made while this call rang stays in the trace; earlier calls' go.
          marks.events = marks.events.filter(([, at]) => performance.now() - at < 4_000);
          const panel = setInterval(() => {
            if (marks.connectedAt !== null) return clearInterval(panel);
            if (!document.querySelector('sb-call-panel [role=timer]')) return;
            marks.connectedAt = performance.now();
            marks.events.push(['call panel connected', marks.connectedAt]);
            clearInterval(panel);
          }, 5);
        }
      },
      true,
    );
    // The signaling frames that matter after the click: the accept going out, and acks and events coming in.
    const NativeSocket = window.WebSocket;
    window.WebSocket = class extends NativeSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        const log = (what: string) => marks.acceptAt !== null && marks.firstAudioAt === null && marks.events.push([what, performance.now()]);
        this.addEventListener('message', ({ data }) => {
          const frame = typeof data === 'string' ? data : '';
          const event = /^42\["(\w+)"/.exec(frame)?.[1];
          if (/^43\d/.test(frame)) log('ack received');
          else if (event && event !== 'queueUpdated') log(`${event} received`);
        });
      }
      override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
        const event = typeof data === 'string' ? /^42\d*\["(\w+)"/.exec(data)?.[1] : undefined;
        if (event) marks.events.push([`${event} sent`, performance.now()]);
        super.send(data);
      }
    } as typeof WebSocket;
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        const log = (what: string) => marks.events.push([what, performance.now()]);
        log(`new RTCPeerConnection (candidate pool ${config?.iceCandidatePoolSize ?? 0})`);
        this.addEventListener('signalingstatechange', () => log(`signaling ${this.signalingState}`));
        this.addEventListener('icegatheringstatechange', () => log(`gathering ${this.iceGatheringState}`));
        this.addEventListener('iceconnectionstatechange', () => log(`ice ${this.iceConnectionState}`));
        this.addEventListener('icecandidate', (e) => log(`local candidate ${e.candidate?.type ?? 'end'}`));
        this.addEventListener('connectionstatechange', () => log(`connection ${this.connectionState}`));
        const poll = setInterval(async () => {
          if (this.connectionState === 'closed') return clearInterval(poll);
          const stats = await this.getStats();
          stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio' && (s.totalAudioEnergy ?? 0) > 0 && marks.acceptAt !== null && marks.firstAudioAt === null) {
              marks.firstAudioAt = performance.now();
              log('first audio');
              clearInterval(poll);
            }
          });
        }, 5);
      }
    } as typeof RTCPeerConnection;
  });
}

async function oneCall(student: Page, agent: Page, mode: Mode): Promise<{ connected: number; audio: number }> {
  await student.goto(mode === 'late' ? '/help?offer=late' : '/help');
  await student.getByRole('button', { name: 'Call support' }).click();
  const dialog = agent.getByRole('dialog', { name: /Incoming call/ });
  await visible(dialog, 10_000);
  await agent.waitForTimeout(RING_MS);
  await dialog.getByRole('button', { name: 'Accept' }).click();
  const done = await agent
    .waitForFunction(
      () => {
        const m = (window as unknown as { __marks: Marks }).__marks;
        return m.connectedAt !== null && m.firstAudioAt !== null;
      },
      null,
      { timeout: 20_000, polling: 20 },
    )
    .then(
      () => true,
      () => false,
    );
  const marks = await agent.evaluate(() => (window as unknown as { __marks: Marks }).__marks);
  const since = (at: number | null) => (at ?? NaN) - (marks.acceptAt ?? NaN);
  const trace = `${mode}: ${marks.events.map(([what, at]) => `${what} @${since(at).toFixed(0)}`).join(', ')}`;
  if (!done) throw new Error(`the ${mode}-offer call did not connect with audio within 20 s of Accept; the agent's peer connections did: ${trace}`);
  if (args.trace) console.log(trace);
  await agent.getByRole('button', { name: 'Hang up' }).click();
  await visible(agent.getByRole('button', { name: 'Done' }));
  await agent.getByRole('button', { name: 'Done' }).click();
  await hidden(agent.getByRole('heading', { name: 'Wrap-up' })).catch(async () => {
    const alert = await agent.getByRole('alert').allTextContents();
    throw new Error(`the agent's wrap-up did not end after Done (the desk says: ${alert.join(' · ') || 'nothing'})`);
  });
  await visible(student.getByRole('button', { name: 'Call support' }));
  return { connected: since(marks.connectedAt), audio: since(marks.firstAudioAt) };
}

/** Signs both in, then `CALLS` calls of each mode, interleaved (early, late, late, early, …). */
async function measure(studentBrowser: Browser, agentBrowser: Browser, app: AppServer): Promise<Samples> {
  const agent = await signIn(agentBrowser, app.baseUrl, 'agent', instrumentAgent);
  const student = await signIn(studentBrowser, app.baseUrl, 'student');
  await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
  const samples: Samples = { early: { connected: [], audio: [] }, late: { connected: [], audio: [] } };
  let lastCallAt = 0;
  for (let i = 0; i < CALLS && Date.now() < DEADLINE; i++) {
    for (const mode of i % 2 === 0 ? (['early', 'late'] as const) : (['late', 'early'] as const)) {
      // Keep the pace of a real desk, within the API's per-user socket limits: the agent's page
      // sends five limited events a call (getIceServers, acceptCall, reportMedia, hangUp,
      // completeWrapUp: 20 at once, 2 a second); at a call every ~1.9 s the 25th call's Done
      // was refused "Too many requests" (and the 26th never rang).
      await new Promise((r) => setTimeout(r, Math.max(0, lastCallAt + MIN_CALL_MS - Date.now())));
      lastCallAt = Date.now();
      const r = await oneCall(student.page, agent.page, mode);
      samples[mode].connected.push(r.connected);
      samples[mode].audio.push(r.audio);
    }
  }
  await student.context.close();
  await agent.context.close();
  return samples;
}

async function onLoopback(): Promise<Samples> {
  const app = await startAppServer({ LOG_LEVEL: 'warn' });
  const browser = await launchChromium();
  try {
    return await measure(browser, browser, app);
  } finally {
    await browser.close();
    await app.stop();
  }
}

async function acrossNats(): Promise<Samples> {
  const topology = NatTopology.create({ tag: 'bnch', linkDelayMs: DELAY_MS });
  const browsers: Browser[] = [];
  let app: AppServer | null = null;
  try {
    const secret = randomBytes(24).toString('hex');
    const address = NatTopology.PUBLIC_ADDRESS;
    await startTurnServer(topology, secret);
    app = await startAppServer(
      { LOG_LEVEL: 'warn', STUN_URLS: `stun:${address}:3478`, TURN_URLS: `turn:${address}:3478?transport=udp`, TURN_SECRET: secret },
      { netns: { name: topology.ns('public'), listenAddress: address } },
    );
    // The API is plain HTTP here: Chromium grants the microphone to it as it would to HTTPS.
    const secureOrigin = [`--unsafely-treat-insecure-origin-as-secure=${app.baseUrl}`];
    browsers.push(await launchChromium(topology.chromiumIn('home'), secureOrigin));
    browsers.push(await launchChromium(topology.chromiumIn('campus'), secureOrigin));
    return await measure(browsers[0], browsers[1], app);
  } finally {
    for (const browser of browsers) await browser.close().catch(() => undefined);
    await app?.stop();
    topology.remove();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(title: string, samples: Samples): void {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(`\n${title}: ${samples.early.connected.length} early and ${samples.late.connected.length} late calls, interleaved, ${RING_MS} ms of ringing`);
  console.log('time after Accept      | connected p50 | connected p95 | first audio p50 | first audio p95');
  const cells = (f: (metric: 'connected' | 'audio', p: number) => string) =>
    `${f('connected', 50).padStart(13)} | ${f('connected', 95).padStart(13)} | ${f('audio', 50).padStart(15)} | ${f('audio', 95).padStart(15)}`;
  console.log(`early offer (product)  | ${cells((m, p) => ms(percentile(samples.early[m], p)))}`);
  console.log(`late offer (baseline)  | ${cells((m, p) => ms(percentile(samples.late[m], p)))}`);
  console.log(`early / late           | ${cells((m, p) => `${(percentile(samples.early[m], p) / percentile(samples.late[m], p)).toFixed(2)}×`)}`);
}

async function main(): Promise<void> {
  // Ctrl-C: exit through process.exit, so the topology's 'exit' hook removes the namespaces.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  for (const network of NETWORKS) {
    if (network === 'loopback') report('Loopback (127.0.0.1, no ICE servers)', await onLoopback());
    else report(`Across two NATs (network namespaces, ${DELAY_MS} ms each way on each router's link, STUN + TURN via coturn)`, await acrossNats());
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
