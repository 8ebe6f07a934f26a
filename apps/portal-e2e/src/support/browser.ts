import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/**
 * Writes a mono 16-bit 48 kHz WAV with a sine tone: Chromium's fake microphone plays it in a
 * loop, so a call carries real, measurable audio (without it the fake mic is silent).
 */
export function writeToneWav(path: string, frequency = 440, seconds = 5): string {
  const rate = 48_000;
  const samples = rate * seconds;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * frequency * i) / rate) * 12_000), 44 + i * 2);
  }
  writeFileSync(path, buf);
  return path;
}

/** Chromium's flags for tests on this machine kind, shared with karma.conf.cjs (read from the workspace root). */
const CHROMIUM_FLAGS: string[] = JSON.parse(readFileSync(join(process.cwd(), 'tools/chromium-flags.json'), 'utf8'));

/**
 * Launches Debian's Chromium headless with a fake microphone fed by a tone; `executablePath`
 * may name a wrapper that runs it elsewhere (e.g. `NatTopology.chromiumIn`), `extraArgs` add flags.
 */
export async function launchChromium(executablePath = process.env['CHROME_BIN'] || '/usr/bin/chromium', extraArgs: string[] = []): Promise<Browser> {
  const wav = writeToneWav(join(tmpdir(), `switchboard-tone-${process.pid}.wav`));
  return chromium.launch({
    executablePath,
    headless: true,
    // The flags Karma uses too, plus the tone as the fake microphone's sound.
    args: [...CHROMIUM_FLAGS, `--use-file-for-fake-audio-capture=${wav}`, ...extraArgs],
  });
}

/** Opens a fresh context (own storage, microphone allowed) and signs `username` in. */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  username: string,
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: baseUrl, permissions: ['microphone'] });
  await prepare?.(context);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('switchboard');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return { context, page };
}
