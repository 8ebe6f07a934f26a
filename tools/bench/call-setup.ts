// `npm run bench:call-setup`: places N calls through the real app (built portal + API,
// Debian's Chromium, a fake microphone playing a tone) and prints how long the agent waits
// after clicking Accept: until both peers are connected, and until the first audio arrives.
// It measures the product's early offer (the caller offers and gathers ICE while it rings)
// and, in the same run, the late-offer baseline (`/help?offer=late`: the offer is created
// only after the accept), so the figures show what the design buys.
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, signIn, startAppServer, visible } from '@switchboard/browser-testing';

const CALLS = Number(process.env['CALLS'] ?? 10);
const RING_MS = Number(process.env['RING_MS'] ?? 1_500);

/** Timestamps the agent's page records, on its own clock (performance.now()). */
interface Marks {
  acceptAt: number | null;
  connectedAt: number | null;
  firstAudioAt: number | null;
}

/**
 * Before any page script: remember the time of the click on Accept, watch the peer
 * connection for `connected`, and poll its stats every 5 ms for the first inbound audio.
 */
async function instrumentAgent(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const marks: Marks = { acceptAt: null, connectedAt: null, firstAudioAt: null };
    (window as unknown as { __marks: Marks }).__marks = marks;
    document.addEventListener(
      'click',
      (e) => {
        const button = (e.target as Element | null)?.closest('button');
        if (/\bAccept$/.test(button?.textContent?.trim() ?? '')) {
          marks.acceptAt = performance.now();
          marks.connectedAt = null;
          marks.firstAudioAt = null;
        }
      },
      true,
    );
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        this.addEventListener('connectionstatechange', () => {
          if (this.connectionState === 'connected' && marks.connectedAt === null) marks.connectedAt = performance.now();
        });
        const poll = setInterval(async () => {
          if (this.connectionState === 'closed') return clearInterval(poll);
          const stats = await this.getStats();
          stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio' && (s.totalAudioEnergy ?? 0) > 0 && marks.firstAudioAt === null) {
              marks.firstAudioAt = performance.now();
              clearInterval(poll);
            }
          });
        }, 5);
      }
    } as typeof RTCPeerConnection;
  });
}

async function oneCall(student: Page, agent: Page): Promise<{ connected: number; audio: number }> {
  await student.getByRole('button', { name: 'Call support' }).click();
  const dialog = agent.getByRole('dialog', { name: /Incoming call/ });
  await visible(dialog, 10_000);
  await agent.waitForTimeout(RING_MS);
  await dialog.getByRole('button', { name: 'Accept' }).click();
  await agent.waitForFunction(() => {
    const m = (window as unknown as { __marks: Marks }).__marks;
    return m.connectedAt !== null && m.firstAudioAt !== null;
  }, null, { timeout: 20_000, polling: 20 });
  const marks = await agent.evaluate(() => (window as unknown as { __marks: Marks }).__marks);
  await agent.getByRole('button', { name: 'Hang up' }).click();
  await visible(agent.getByRole('button', { name: 'Done' }));
  await agent.getByRole('button', { name: 'Done' }).click();
  await visible(student.getByRole('button', { name: 'Call support' }));
  const since = (at: number | null) => (at ?? NaN) - (marks.acceptAt ?? NaN);
  return { connected: since(marks.connectedAt), audio: since(marks.firstAudioAt) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const app = await startAppServer({ LOG_LEVEL: 'warn' });
  const browser = await launchChromium();
  try {
    const agent = await signIn(browser, app.baseUrl, 'agent', instrumentAgent);
    const student = await signIn(browser, app.baseUrl, 'student');
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    const rows: string[] = [];
    for (const mode of ['early', 'late'] as const) {
      await student.page.goto(mode === 'late' ? '/help?offer=late' : '/help');
      const connected: number[] = [];
      const audio: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const r = await oneCall(student.page, agent.page);
        connected.push(r.connected);
        audio.push(r.audio);
      }
      const fmt = (v: number[], p: number, width: number) => `${percentile(v, p).toFixed(0)} ms`.padStart(width);
      rows.push(
        `${(mode === 'early' ? 'early offer (product)' : 'late offer (baseline)').padEnd(22)} | ${fmt(connected, 50, 13)} | ${fmt(connected, 95, 13)} | ${fmt(audio, 50, 15)} | ${fmt(audio, 95, 15)}`,
      );
    }
    console.log(`\nCall setup after Accept, ${CALLS} calls each, ${RING_MS} ms of ringing, loopback, headless Chromium`);
    console.log('mode                   | connected p50 | connected p95 | first audio p50 | first audio p95');
    for (const row of rows) console.log(row);
  } finally {
    await browser.close();
    await app.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
