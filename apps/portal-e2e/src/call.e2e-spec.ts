import { Browser, BrowserContext, Page } from 'playwright-core';
import type { CallDetail, CallRecord, ClientToServerEvents, ServerToClientEvents } from '@switchboard/call-domain';
import { io, type Socket } from 'socket.io-client';
import { apiGet, apiToken, latestCall } from './support/api';
import { AppServer, startAppServer } from './support/app-server';
import { energyGrowth, inboundAudio, trackPeerConnections } from './support/audio-stats';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, hidden, visible, watchTexts } from './support/wait';

// The whole call checklist of the product, as a student and an agent would do it, in two
// browser contexts of Debian's Chromium with a fake microphone playing a tone.
describe('a call from the help page to the agent desk', () => {
  let app: AppServer;
  let browser: Browser;
  let student: { context: BrowserContext; page: Page };
  let agent: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    // A ring timeout longer than the 20 s accept below (the default 20 s would ring out first).
    // No short-abandon window, so a call cancelled while it rings is plainly abandoned.
    app = await startAppServer({ RING_TIMEOUT_SECONDS: '40', SHORT_ABANDON_SECONDS: '0', LOG_LEVEL: 'warn' });
    browser = await launchChromium();
    student = await signIn(browser, app.baseUrl, 'student', trackPeerConnections);
    agent = await signIn(browser, app.baseUrl, 'agent', trackPeerConnections);
    await atPath(student.page, /^\/help$/);
    await atPath(agent.page, /^\/agent$/);
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    await visible(agent.page.getByText('Available', { exact: true }).first());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const incomingDialog = () => agent.page.getByRole('dialog', { name: /Incoming call/ });

  async function placeCall(): Promise<void> {
    await student.page.getByRole('button', { name: 'Call support' }).click();
    await visible(student.page.getByText('Waiting for an agent…'));
    await visible(incomingDialog(), 5_000);
    expect(await incomingDialog().textContent()).toContain('Sam Student');
  }

  async function expectConnected(page: Page): Promise<void> {
    await hidden(page.getByText('Connecting…'), 15_000);
    await visible(page.getByRole('button', { name: 'Hang up' }));
    await visible(page.getByRole('button', { name: /^(Mute|Unmute)$/ }));
    await visible(page.getByRole('timer'));
    expect((await page.getByRole('timer').textContent())?.trim()).toMatch(/^\d\d:\d\d$/);
  }

  /** The student hangs up the call in progress; the agent's wrap-up is done. */
  async function hangUpFromStudent(): Promise<void> {
    await student.page.getByRole('button', { name: 'Hang up' }).click();
    await hidden(agent.page.getByRole('button', { name: 'Hang up' }));
    await finishWrapUp();
  }

  /** The agent goes Available, the student calls, the agent accepts: connected on both sides; the call's record. */
  async function connectCall(): Promise<CallRecord> {
    await visible(agent.page.getByRole('button', { name: 'Available', exact: true }));
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    await placeCall();
    await incomingDialog().getByRole('button', { name: 'Accept' }).click();
    await expectConnected(agent.page);
    await expectConnected(student.page);
    return latestCall(app.baseUrl);
  }

  /** Audio arrives on both sides again within 5 s, and all of it took less than 5 s since `since` (plus the measuring). */
  async function expectAudioBackWithin5s(since: number, what: string): Promise<void> {
    for (const side of [agent.page, student.page]) {
      await eventually(() => energyGrowth(side, 500), (growth) => growth > 0, 5_000, what);
    }
    expect(Date.now() - since).toBeLessThan(5_000 + 2 * 500 + 1_000); // two energy windows and the checks' own time
  }

  async function finishWrapUp(): Promise<void> {
    await visible(agent.page.getByRole('button', { name: 'Done' }), 5_000);
    await agent.page.getByRole('button', { name: 'Done' }).click();
    await hidden(agent.page.getByRole('button', { name: 'Done' }));
  }

  it('connects when the agent accepts 3 s after the offer, carries audio both ways, mutes, and hangs up on both sides', async () => {
    await placeCall();
    await agent.page.waitForTimeout(3_000);
    await incomingDialog().getByRole('button', { name: 'Accept' }).click();

    await expectConnected(agent.page);
    await expectConnected(student.page);
    const timer = student.page.getByRole('timer');
    const first = await timer.textContent();
    await student.page.waitForTimeout(2_100);
    expect(await timer.textContent()).not.toBe(first);

    // Audio flows both ways: the tone is heard (level) and keeps arriving (energy grows).
    for (const side of [agent.page, student.page]) {
      await eventually(async () => (await inboundAudio(side)).audioLevel, (level) => level > 0, 10_000, 'inbound audio level > 0');
      expect(await energyGrowth(side)).toBeGreaterThan(0);
    }

    // The student mutes: the agent's received energy stops growing.
    const mute = student.page.getByRole('button', { name: /^(Mute|Unmute)$/ });
    await mute.click();
    await eventually(() => mute.getAttribute('aria-pressed'), (v) => v === 'true', 5_000, 'Mute pressed');
    await agent.page.waitForTimeout(500); // let the last unmuted packets drain
    expect(await energyGrowth(agent.page)).toBeLessThan(0.0001);
    await mute.click();
    await eventually(() => mute.getAttribute('aria-pressed'), (v) => v === 'false', 5_000, 'Mute released');
    await eventually(() => energyGrowth(agent.page, 1_000), (growth) => growth > 0, 10_000, 'energy grows again after unmute');

    // Hang up on the agent's side ends it on both.
    await agent.page.waitForTimeout(1_000);
    await agent.page.getByRole('button', { name: 'Hang up' }).click();
    await hidden(student.page.getByRole('button', { name: 'Hang up' }));
    await visible(student.page.getByText(/ended the call/));
    await visible(student.page.getByRole('button', { name: 'Call support' }));

    const record = await latestCall(app.baseUrl);
    expect(record.outcome).toBe('answered');
    expect(record.talkSeconds).toBeGreaterThanOrEqual(3);
    await finishWrapUp();
  }, 90_000);

  it('closes the agent dialog when the student cancels while it rings, and records the call abandoned', async () => {
    await placeCall();
    await student.page.getByRole('button', { name: 'Cancel call' }).click();
    await hidden(incomingDialog(), 5_000);
    await visible(student.page.getByRole('button', { name: 'Call support' }));
    const record = await latestCall(app.baseUrl);
    expect(record.outcome).toBe('abandoned');
  }, 60_000);

  it('tells the student when the agent declines', async () => {
    await placeCall();
    await incomingDialog().getByRole('button', { name: 'Decline' }).click();
    await hidden(incomingDialog());
    await visible(student.page.getByText(/declined/i), 5_000);
    await student.page.getByRole('button', { name: 'Cancel call' }).click();
    await visible(student.page.getByRole('button', { name: 'Call support' }));
  }, 60_000);

  it("resumes the call within 5 s when the student's page reloads mid-call: same call, audio both ways, no wrap-up", async () => {
    const before = await connectCall();

    const reloadedAt = Date.now();
    // Watched from before the reload: on loopback the agent is reconnecting for only a moment.
    const agentPanel = await watchTexts(agent.page, 'sb-call-panel .status');
    await student.page.reload();
    await eventually(agentPanel, (seen) => seen.some((t) => t.includes('Reconnecting…')), 5_000, 'the agent told "Reconnecting…"');
    await expectConnected(student.page);
    await hidden(agent.page.getByText('Reconnecting…'), 5_000);
    await expectAudioBackWithin5s(reloadedAt, 'audio after the reload');
    const after = await latestCall(app.baseUrl);
    expect(after.id).toBe(before.id);
    expect(after.outcome).toBeNull();
    const detail = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${after.id}`);
    expect(detail.timeline.map((e) => e.type)).toContain('resumed');
    expect(detail.timeline.filter((e) => e.type === 'queued').length).toBe(1);

    await hangUpFromStudent();
  }, 60_000);

  it("resumes the call within 5 s when the agent's page reloads mid-call, and a second tab of the agent cannot take it", async () => {
    const before = await connectCall();

    const studentPanel = await watchTexts(student.page, 'sb-call-panel .status');
    const reloadedAt = Date.now();
    await agent.page.reload();
    await eventually(studentPanel, (seen) => seen.some((t) => t.includes('Reconnecting…')), 5_000, 'the student told "Reconnecting…"');
    await expectConnected(agent.page);
    await hidden(student.page.getByText('Reconnecting…'), 5_000);
    await expectAudioBackWithin5s(reloadedAt, 'audio after the reload');
    await visible(agent.page.getByText('Sam Student'));
    const detail = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${before.id}`);
    expect(detail.outcome).toBeNull();
    expect(detail.timeline.map((e) => `${e.type}:${e.actorName}`)).toContain('resumed:Alex Agent');

    // A second tab of the same agent is told the call is elsewhere, and the first keeps it.
    const second = await agent.context.newPage();
    await second.goto('/agent');
    await visible(second.getByText('This call is in another tab'), 10_000);
    await eventually(() => energyGrowth(agent.page, 500), (growth) => growth > 0, 5_000, 'audio still in the first tab');
    await second.close();

    await hangUpFromStudent();
  }, 60_000);

  it('resumes the call within 5 s when the student, then the agent, closes the tab and opens the portal again: same call, audio both ways by stats', async () => {
    const before = await connectCall();

    // A closed tab keeps no sessionStorage: the new page asks the server which call is live.
    for (const side of [student, agent]) {
      const other = side === student ? agent : student;
      const closedAt = Date.now();
      await side.page.close();
      side.page = await side.context.newPage();
      await side.page.goto(side === student ? '/help' : '/agent');
      await expectConnected(side.page);
      await hidden(other.page.getByText('Reconnecting…'), 5_000);
      await expectAudioBackWithin5s(closedAt, 'audio after the tab was opened again');
    }
    await visible(agent.page.getByText('Sam Student'));
    const detail = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${before.id}`);
    expect(detail.outcome).toBeNull();
    const timeline = detail.timeline.map((e) => `${e.type}:${e.actorName}`);
    expect(timeline).toContain('resumed:Sam Student');
    expect(timeline).toContain('resumed:Alex Agent');
    expect(detail.timeline.filter((e) => e.type === 'queued').length).toBe(1);

    // A second tab of the student while the first holds the call: told so, and the first keeps it.
    const second = await student.context.newPage();
    await second.goto('/help');
    await visible(second.getByText('Your call is in another tab.'), 10_000);
    await eventually(() => energyGrowth(agent.page, 500), (growth) => growth > 0, 5_000, "the student's audio still from the first tab");
    await second.close();

    await hangUpFromStudent();
  }, 60_000);

  it("resumes the call when the student closes the tab holding it, then reloads the one opened again, while another idle help tab stays open and never takes it", async () => {
    const before = await connectCall();
    const peerConnections = (page: Page) => page.evaluate(() => (window as unknown as { __pcs?: unknown[] }).__pcs?.length ?? 0);

    // An idle help tab opened during the call is told the call is elsewhere.
    const idle = await student.context.newPage();
    await idle.goto('/help');
    await visible(idle.getByText('Your call is in another tab.'), 10_000);

    // The tab holding the call closes; the idle one stays open. The portal opened again takes the call up.
    const closedAt = Date.now();
    await student.page.close();
    student.page = await student.context.newPage();
    await student.page.goto('/help');
    await expectConnected(student.page);
    await hidden(agent.page.getByText('Reconnecting…'), 5_000);
    await expectAudioBackWithin5s(closedAt, 'audio after the tab was opened again');

    // That tab reloads: it takes the call up again too.
    const reloadedAt = Date.now();
    await student.page.reload();
    await expectConnected(student.page);
    await hidden(agent.page.getByText('Reconnecting…'), 5_000);
    await expectAudioBackWithin5s(reloadedAt, 'audio after the reload');

    // The idle tab never took it: no call panel, no peer connection, still told it is elsewhere.
    expect(await idle.getByRole('button', { name: 'Hang up' }).count()).toBe(0);
    expect(await peerConnections(idle)).toBe(0);
    await visible(idle.getByText('Your call is in another tab.'));
    await idle.close();

    const detail = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${before.id}`);
    expect(detail.outcome).toBeNull();
    expect(detail.timeline.filter((e) => e.type === 'queued').length).toBe(1);
    expect(detail.timeline.filter((e) => e.type === 'resumed').map((e) => e.actorName)).toEqual(['Sam Student', 'Sam Student']);
    expect((await latestCall(app.baseUrl)).id).toBe(before.id);

    await hangUpFromStudent();
  }, 90_000);

  it("shows the call's quality warnings in its timeline on the supervisor's history page, once per kind", async () => {
    const { id: callId } = await connectCall();
    // Loopback never crosses a threshold: another socket of the student reports a lossy sample, twice.
    const reporter: Socket<ServerToClientEvents, ClientToServerEvents> = io(app.baseUrl, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: await apiToken(app.baseUrl, 'student') },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        reporter.once('connect', () => resolve());
        reporter.once('connect_error', reject);
      });
      for (let i = 0; i < 2; i++) expect(await reporter.timeout(5_000).emitWithAck('reportQuality', { callId, rttMs: 20, jitterMs: 5, lossPercent: 20 })).toEqual(jasmine.objectContaining({ ok: true }));
    } finally {
      reporter.disconnect();
    }

    const supervisor = await signIn(browser, app.baseUrl, 'supervisor');
    try {
      await supervisor.page.goto(`/supervisor/calls/${callId}`);
      const timeline = supervisor.page.getByRole('table', { name: 'Timeline' });
      await visible(timeline, 10_000);
      const whatHappened = await timeline
        .getByRole('row')
        .filter({ has: supervisor.page.getByRole('cell') })
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '').slice(1).join(' | ')));
      expect(whatHappened.filter((row) => row.includes('Quality warning'))).toEqual(['Sam Student | Quality warning: packet loss', 'Sam Student | Quality warning: low MOS']);
    } finally {
      await supervisor.context.close();
    }

    await hangUpFromStudent();
  }, 60_000);

  it('still connects when the agent accepts after 20 s', async () => {
    await visible(agent.page.getByRole('button', { name: 'Available', exact: true }));
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    await placeCall();
    await agent.page.waitForTimeout(20_000);
    await incomingDialog().getByRole('button', { name: 'Accept' }).click();
    await expectConnected(agent.page);
    await expectConnected(student.page);
    await eventually(async () => (await inboundAudio(agent.page)).audioLevel, (level) => level > 0, 10_000, 'inbound audio level > 0');
    await student.page.getByRole('button', { name: 'Hang up' }).click();
    await hidden(agent.page.getByRole('button', { name: 'Hang up' }));
    await finishWrapUp();
  }, 90_000);
});
