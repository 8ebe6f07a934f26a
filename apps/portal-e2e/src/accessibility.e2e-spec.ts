import { AxeBuilder } from '@axe-core/playwright';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { AppServer, startAppServer } from './support/app-server';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, hidden, visible } from './support/wait';

// WCAG 2.2 AA, as axe-core checks it, on every page and state a student, an agent and a
// supervisor go through in one shift — and every page at a phone's width (375 px) without
// the page scrolling sideways. A state is reached the way a person reaches it (real calls
// through the built app), then checked where it stands.

/** axe-core's rule tags for WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** A small phone (iPhone SE / mini class). */
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

describe('accessibility (axe, WCAG 2.2 AA) and phone widths', () => {
  let app: AppServer;
  let browser: Browser;
  let student: { context: BrowserContext; page: Page };
  let agent: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    // Short timers so a ring-out (Missed) and an unanswered call (callback) happen within the
    // spec, long enough for axe to check the waiting and ringing states first.
    app = await startAppServer({ RING_TIMEOUT_SECONDS: '12', MAX_WAIT_SECONDS: '24', LOG_LEVEL: 'warn' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** Runs axe on the page as it is now and expects no violation (listed with where they are). */
  async function expectAccessible(page: Page, state: string): Promise<void> {
    // Colours are checked as they end, not halfway through a transition (an error message
    // fading in measures 1.1:1 in its first frames): wait for the page's finite animations.
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity), undefined, { timeout: 5_000 });
    const { violations } = await new AxeBuilder({ page }).withTags(WCAG_AA).analyze();
    const found = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length}× e.g. ${v.nodes[0]?.target.join(' ')} — ${v.nodes[0]?.failureSummary?.split('\n')[1]?.trim() ?? v.help}`);
    expect(found).withContext(`axe on "${state}"`).toEqual([]);
  }

  /** Expects the page to fit a 375 px wide screen (no horizontal scrolling of the page), then restores the size. */
  async function expectFitsPhone(page: Page, state: string): Promise<void> {
    await page.setViewportSize(PHONE);
    try {
      // Let the layout settle at the new width (media queries, tables re-measuring).
      await page.waitForTimeout(300);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).withContext(`"${state}" is ${width} px wide at 375 px`).toBeLessThanOrEqual(PHONE.width);
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  }

  /** Both checks of a page (axe at desktop width, then the phone's width). */
  async function expectGoodPage(page: Page, state: string): Promise<void> {
    await expectAccessible(page, state);
    await expectFitsPhone(page, state);
  }

  const incomingDialog = () => agent.page.getByRole('dialog', { name: /Incoming call/ });

  it('the sign-in page', async () => {
    const context = await browser.newContext({ baseURL: app.baseUrl, viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto('/login');
    await visible(page.getByRole('button', { name: 'Sign in' }));
    await expectGoodPage(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click(); // empty: the errors show
    await expectAccessible(page, 'sign-in with errors');
    await context.close();
  }, 60_000);

  it('a call from the help page to the agent desk, in every state on both sides', async () => {
    student = await signIn(browser, app.baseUrl, 'student');
    agent = await signIn(browser, app.baseUrl, 'agent');
    for (const side of [student, agent]) await side.page.setViewportSize(DESKTOP);
    await atPath(student.page, /^\/help$/);
    await atPath(agent.page, /^\/agent$/);
    await visible(agent.page.getByText('Offline', { exact: true }));
    await expectGoodPage(agent.page, 'agent: Offline');
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    await visible(agent.page.getByRole('button', { name: 'Available', pressed: true }));
    await expectAccessible(agent.page, 'agent: Available');
    await visible(student.page.getByRole('button', { name: 'Call support' }));
    await expectGoodPage(student.page, 'help: idle');

    // Waiting and ringing.
    await student.page.getByRole('button', { name: 'Call support' }).click();
    await visible(student.page.getByText('Waiting for an agent…'));
    await visible(incomingDialog());
    await expectGoodPage(student.page, 'help: waiting');
    await expectAccessible(agent.page, 'agent: Ringing (incoming-call dialog)');

    // On call, muted.
    await incomingDialog().getByRole('button', { name: 'Accept' }).click();
    await visible(agent.page.getByRole('timer'), 15_000);
    await visible(student.page.getByRole('timer'), 15_000);
    await expectGoodPage(agent.page, 'agent: On call');
    await expectGoodPage(student.page, 'help: in call');
    await agent.page.getByRole('button', { name: 'Mute' }).click();
    await visible(agent.page.getByRole('button', { name: 'Mute', pressed: true }));
    await expectAccessible(agent.page, 'agent: On call, muted');

    // Wrap-up and the ended call.
    await agent.page.getByRole('button', { name: 'Hang up' }).click();
    await visible(agent.page.getByRole('button', { name: 'Done' }));
    await visible(student.page.getByText(/ended the call/));
    await expectGoodPage(agent.page, 'agent: Wrap-up');
    await expectAccessible(student.page, 'help: ended');
    await agent.page.getByRole('button', { name: 'Done' }).click();
    await hidden(agent.page.getByRole('button', { name: 'Done' }));

    // A ring-out: the agent is Missed, the student waits with nobody on duty.
    await visible(agent.page.getByRole('button', { name: 'Available', pressed: true }));
    await student.page.getByRole('button', { name: 'Call support' }).click();
    await visible(incomingDialog());
    await visible(agent.page.getByText('You missed a call'), 20_000);
    await visible(student.page.getByText('No agent is taking calls right now'), 5_000);
    await expectGoodPage(agent.page, 'agent: Missed');
    await expectAccessible(student.page, 'help: waiting, nobody on duty');

    // Unanswered (the maximum wait): the callback form, then the request sent.
    await visible(student.page.getByRole('button', { name: 'Request callback' }), 25_000);
    await expectGoodPage(student.page, 'help: unanswered, callback form');
    for (const viewport of [DESKTOP, PHONE]) {
      await student.page.setViewportSize(viewport);
      const hint = await student.page.getByText('How to reach you and what it is about.').boundingBox();
      const button = await student.page.getByRole('button', { name: 'Request callback' }).boundingBox();
      expect(hint && button && hint.y + hint.height <= button.y).withContext(`the hint above the button at ${viewport.width} px: ${JSON.stringify({ hint, button })}`).toBeTrue();
    }
    await student.page.setViewportSize(DESKTOP);
    await student.page.getByRole('button', { name: 'Request callback' }).click();
    await visible(student.page.getByText('the help desk will call you back'));
    await expectAccessible(student.page, 'help: callback requested');
  }, 120_000);

  it('a callback from the agent desk (taken, ringing at the student, in call with its quality shown) and the microphone check', async () => {
    // Continues from the call above: the student asked to be called back; the agent missed a call.
    await agent.page.getByRole('button', { name: 'Return to Available' }).click();
    const request = agent.page.getByRole('article', { name: 'Callback request from Sam Student' });
    await visible(request, 10_000);
    await expectGoodPage(agent.page, 'agent: callback requests');
    await request.getByRole('button', { name: 'Take' }).click();
    const callButton = request.getByRole('button', { name: 'Call', exact: true });
    await eventually(() => callButton.isEnabled(), (enabled) => enabled, 10_000, 'Call enabled (student signed in)');
    await expectAccessible(agent.page, 'agent: callback taken');
    await callButton.click();

    const prompt = student.page.getByRole('alertdialog', { name: 'The help desk is calling you back' });
    await visible(prompt, 10_000);
    await expectGoodPage(student.page, 'help: callback ringing');
    await prompt.getByRole('button', { name: 'Accept' }).click();
    for (const side of [agent.page, student.page]) await visible(side.getByText(/^Call quality: /), 15_000);
    await expectGoodPage(agent.page, 'agent: on a callback, quality shown');
    await expectGoodPage(student.page, 'help: in a callback, quality shown');
    await agent.page.getByRole('button', { name: 'Hang up' }).click();
    await agent.page.getByRole('button', { name: 'Done', exact: true }).click();
    await hidden(agent.page.getByRole('button', { name: 'Done', exact: true }));

    // The help page, fresh: the microphone check before calling.
    await student.page.reload();
    await student.page.getByRole('button', { name: 'Test microphone' }).click();
    await visible(student.page.getByText('We can hear you.'), 10_000);
    await expectGoodPage(student.page, 'help: microphone check');
  }, 90_000);

  it("the supervisor's pages: live board, call history, a call's detail, metrics, callbacks", async () => {
    const { page } = await signIn(browser, app.baseUrl, 'supervisor');
    await page.setViewportSize(DESKTOP);
    await atPath(page, /^\/supervisor$/);
    await visible(page.getByRole('table', { name: 'Live board' }));
    await expectGoodPage(page, 'supervisor: live board');

    await page.getByRole('tab', { name: 'Call history' }).click();
    await atPath(page, /^\/supervisor\/calls$/);
    const calls = page.getByRole('table', { name: 'Calls' });
    await visible(calls.getByRole('link'), 10_000);
    await expectGoodPage(page, 'supervisor: call history');

    await calls.getByRole('link').first().click();
    await atPath(page, /^\/supervisor\/calls\/[^/]+$/);
    await visible(page.getByRole('table', { name: 'Timeline' }), 10_000);
    await expectGoodPage(page, "supervisor: a call's detail");

    await page.getByRole('tab', { name: 'Metrics' }).click();
    await atPath(page, /^\/supervisor\/metrics$/);
    await visible(page.getByRole('heading', { level: 2 }).first(), 10_000);
    await expectGoodPage(page, 'supervisor: metrics');

    await page.getByRole('tab', { name: 'Callbacks' }).click();
    await atPath(page, /^\/supervisor\/callbacks$/);
    await visible(page.getByText('Sam Student').first(), 10_000);
    await expectGoodPage(page, 'supervisor: callbacks');
  }, 90_000);

  it('the dark theme passes too (colour contrast in both themes)', async () => {
    const context = await browser.newContext({ baseURL: app.baseUrl, viewport: DESKTOP, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto('/login');
    await visible(page.getByRole('button', { name: 'Sign in' }));
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).withContext('a dark page').toMatch(/^rgb\((\d|[1-5]\d), /);
    await expectAccessible(page, 'dark: sign-in');
    await page.getByLabel('Username').fill('supervisor');
    await page.getByLabel('Password').fill('switchboard');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await atPath(page, /^\/supervisor$/);
    await visible(page.getByRole('table', { name: 'Live board' }));
    await expectAccessible(page, 'dark: supervisor live board');
    await page.getByRole('tab', { name: 'Call history' }).click();
    await visible(page.getByRole('table', { name: 'Calls' }).getByRole('link'), 10_000);
    await expectAccessible(page, 'dark: call history');
    await context.close();
  }, 60_000);
});
