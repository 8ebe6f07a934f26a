import { Browser, BrowserContext, Page } from 'playwright-core';
import { AppServer, startAppServer } from './support/app-server';
import { energyGrowth, trackPeerConnections } from './support/audio-stats';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, hidden, visible } from './support/wait';

/** The name of the microphone the page's most recent peer connection sends (its track's label). */
function sentMicrophone(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? [];
    return pcs.at(-1)?.getSenders().find((s) => s.track?.kind === 'audio')?.track?.label ?? null;
  });
}

/** The name of the speaker the call panel plays the far end on. */
function playingOn(page: Page): Promise<string | null> {
  return page.evaluate(async () => {
    const audio = document.querySelector('sb-call-panel audio') as HTMLAudioElement | null;
    if (!audio) return null;
    const device = (await navigator.mediaDevices.enumerateDevices()).find((d) => d.kind === 'audiooutput' && d.deviceId === audio.sinkId);
    return audio.sinkId === '' ? 'default' : (device?.label ?? audio.sinkId);
  });
}

// Chromium's fake media devices (--use-fake-device-for-media-stream) list "Fake Default Audio
// Input", "Fake Audio Input 1" and "2", and as many outputs; every fake input plays the test
// tone (--use-file-for-fake-audio-capture, see support/browser.ts).
describe('choosing the microphone and the speaker', () => {
  let app: AppServer;
  let browser: Browser;
  let student: { context: BrowserContext; page: Page };
  let agent: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    app = await startAppServer({ LOG_LEVEL: 'warn' });
    browser = await launchChromium();
    student = await signIn(browser, app.baseUrl, 'student', trackPeerConnections);
    agent = await signIn(browser, app.baseUrl, 'agent', trackPeerConnections);
    await atPath(student.page, /^\/help$/);
    await atPath(agent.page, /^\/agent$/);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const choose = async (page: Page, field: string, option: string) => {
    await page.getByRole('combobox', { name: field }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
    await hidden(page.getByRole('listbox'));
  };

  it("tests and remembers the student's microphone, the agent's microphone and speaker, and calls with them (switching either side's microphone mid-call)", async () => {
    // The student's check: the meter moves and says so, on the microphone chosen.
    const help = student.page;
    await help.getByRole('button', { name: 'Test microphone' }).click();
    const meter = help.getByRole('meter', { name: 'Microphone level' });
    const levels = new Set<string | null>();
    await eventually(async () => levels.add(await meter.getAttribute('aria-valuenow')).size, (n) => n >= 3, 10_000, 'the meter moving');
    expect(await meter.getAttribute('aria-valuetext')).toMatch(/^Level \d+ %$/);
    await visible(help.getByText('We can hear you.'));
    await choose(help, 'Microphone', 'Fake Audio Input 2');
    await visible(help.getByText('We can hear you.'));

    // Remembered in this browser: after a reload the check starts on it again.
    await help.reload();
    await help.getByRole('button', { name: 'Test microphone' }).click();
    await eventually(() => help.getByRole('combobox', { name: 'Microphone' }).textContent(), (t) => t?.includes('Fake Audio Input 2') ?? false, 5_000, 'the remembered microphone');
    await visible(help.getByText('We can hear you.'));

    // The agent chooses a microphone and a speaker (remembered too).
    const desk = agent.page;
    await desk.getByRole('button', { name: 'Available', exact: true }).click();
    await visible(desk.getByText('Available', { exact: true }).first());
    await eventually(() => desk.getByRole('combobox', { name: 'Microphone' }).count(), (n) => n === 1, 5_000, 'the device choices');
    await choose(desk, 'Microphone', 'Fake Audio Input 1');
    await choose(desk, 'Speaker', 'Fake Audio Output 2');
    await desk.reload();
    await eventually(() => desk.getByRole('combobox', { name: 'Speaker' }).textContent(), (t) => t?.includes('Fake Audio Output 2') ?? false, 5_000, 'the remembered speaker');

    // The call uses the choices, and carries audio both ways.
    await help.getByRole('button', { name: 'Call support' }).click();
    const incoming = desk.getByRole('dialog', { name: /Incoming call/ });
    await visible(incoming, 10_000);
    await incoming.getByRole('button', { name: 'Accept' }).click();
    for (const page of [desk, help]) await hidden(page.getByText('Connecting…'), 15_000);
    // "Connecting…" gone on both pages is not yet the track on the student's sender (seen null
    // once in CI): wait for it, as for the switch below.
    await eventually(() => sentMicrophone(help), (label) => label === 'Fake Audio Input 2', 5_000, "the student's chosen microphone sent");
    await eventually(() => sentMicrophone(desk), (label) => label === 'Fake Audio Input 1', 5_000, "the agent's chosen microphone sent");
    expect(await playingOn(desk)).toBe('Fake Audio Output 2');
    for (const page of [desk, help]) await eventually(() => energyGrowth(page, 500), (growth) => growth > 0, 5_000, 'audio both ways');

    // Another microphone during the call: the call sends it at once, without a new negotiation.
    const peerConnections = () => desk.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length);
    const before = await peerConnections();
    await choose(desk, 'Microphone', 'Fake Audio Input 2');
    await eventually(() => sentMicrophone(desk), (label) => label === 'Fake Audio Input 2', 5_000, 'the new microphone sent');
    expect(await peerConnections()).toBe(before);
    await eventually(() => energyGrowth(help, 500), (growth) => growth > 0, 5_000, 'the student hears the new microphone');

    // The student too, muted: the call sends the new microphone on the same connection, still muted.
    const studentConnections = () => help.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length);
    const studentBefore = await studentConnections();
    const mute = help.getByRole('button', { name: /^(Mute|Unmute)$/ });
    await mute.click();
    await eventually(() => mute.getAttribute('aria-pressed'), (v) => v === 'true', 5_000, 'Mute pressed');
    await choose(help, 'Microphone', 'Fake Audio Input 1');
    await eventually(() => sentMicrophone(help), (label) => label === 'Fake Audio Input 1', 5_000, "the student's new microphone sent");
    expect(await studentConnections()).toBe(studentBefore);
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await desk.waitForTimeout(500); // let the last packets of the old microphone drain
    expect(await energyGrowth(desk)).withContext('still muted').toBeLessThan(0.0001);
    await mute.click();
    await eventually(() => energyGrowth(desk, 500), (growth) => growth > 0, 5_000, 'the agent hears the new microphone');

    await help.getByRole('button', { name: 'Hang up' }).click();
    await visible(desk.getByRole('button', { name: 'Done' }), 5_000);
    await desk.getByRole('button', { name: 'Done' }).click();
  }, 90_000);
});
