import { Browser, BrowserContext, Page } from 'playwright-core';
import { latestCall } from './support/api';
import { AppServer, startAppServer } from './support/app-server';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, hidden, visible } from './support/wait';

// The agent's desk as an agent works it: a whole shift by keyboard alone, and the alerts of a
// call that rings while the desk's tab is hidden.

/** Text and role of the element that has the focus, as a screen reader would name it. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'body';
    const name = el.getAttribute('aria-label') ?? el.closest('mat-form-field')?.querySelector('mat-label')?.textContent ?? el.textContent ?? '';
    return `${el.getAttribute('role') ?? el.tagName.toLowerCase()} ${name.replace(/\s+/g, ' ').trim()}`;
  });
}

/** Notes, in the page, every element that takes or loses the focus (read by {@link focusTrace}). */
async function traceFocus(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const trace: string[] = [];
    (window as unknown as { focusTrace: string[] }).focusTrace = trace;
    const label = (el: EventTarget | null) =>
      el instanceof HTMLElement ? `${el.tagName.toLowerCase()}${el.isConnected ? '' : '(removed)'} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 20)}"` : String(el);
    const start = performance.now();
    document.addEventListener('focusin', (e) => trace.push(`${Math.round(performance.now() - start)}ms in ${label(e.target)}`), true);
    document.addEventListener('focusout', (e) => trace.push(`${Math.round(performance.now() - start)}ms out ${label(e.target)} → ${label(e.relatedTarget)}`), true);
  });
}

/** The last focus changes {@link traceFocus} noted, for a failure's message. */
function focusTrace(page: Page): Promise<string> {
  return page.evaluate(() => ((window as unknown as { focusTrace?: string[] }).focusTrace ?? []).slice(-12).join('; '));
}

/** Presses Tab until the focus is on an element whose description matches (at most `limit` times). */
async function tabTo(page: Page, what: RegExp, limit = 20): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (what.test(await focused(page))) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${what}; the focus is on "${await focused(page)}"`);
}

describe('the agent desk', () => {
  let app: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await startAppServer({ RING_TIMEOUT_SECONDS: '40', LOG_LEVEL: 'warn' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  // A spec that failed midway closes its pages all the same: its call ends, and the next spec's
  // student is not still on it.
  let contexts: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
  });

  it('works a shift by keyboard alone: sign in, Available, accept, mute, hang up, wrap-up, Done', async () => {
    const context = await browser.newContext({ baseURL: app.baseUrl, permissions: ['microphone'] });
    contexts.push(context);
    const page = await context.newPage();
    await traceFocus(page);
    await page.goto('/login');
    // Keys pressed before the form is on the page go nowhere (as a person's would): wait for it.
    await visible(page.getByLabel('Username'));
    await tabTo(page, /Username/);
    await page.keyboard.type('agent');
    await page.keyboard.press('Tab');
    await page.keyboard.type('switchboard');
    const settingsRead = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/call-settings', { timeout: 10_000 });
    await page.keyboard.press('Enter');
    await atPath(page, /^\/agent$/);
    expect((await settingsRead).ok()).withContext('the desk reads the dispositions at sign-in, before any wrap-up').toBeTrue();
    await eventually(() => focused(page), (f) => /Agent desk/.test(f), 5_000, 'the focus on the page heading after sign-in');

    await page.keyboard.press('Alt+Shift+KeyV');
    await visible(page.getByRole('button', { name: 'Available', pressed: true }));

    const student = await signIn(browser, app.baseUrl, 'student');
    contexts.push(student.context);
    await student.page.getByRole('button', { name: 'Call support' }).click();
    await visible(page.getByRole('dialog', { name: /Incoming call/ }));
    await page.keyboard.press('Alt+Shift+KeyA');
    await visible(page.getByRole('timer'), 15_000);
    expect(await focused(page)).withContext(`Accept → Mute; where the focus went: ${await focusTrace(page)}`).toMatch(/^button .*Mute$/);
    await page.keyboard.press('Space'); // the focused Mute
    await visible(page.getByRole('button', { name: 'Mute', pressed: true }));
    await page.keyboard.press('Alt+Shift+KeyM');
    await visible(page.getByRole('button', { name: 'Mute', pressed: false }));
    await page.keyboard.press('Alt+Shift+KeyH');

    await visible(page.getByRole('button', { name: 'Done' }));
    await eventually(() => focused(page), (f) => /Disposition/.test(f), 5_000, 'Hang up → Disposition');
    // The desk read the dispositions at sign-in, so the first one is preselected as wrap-up opens
    // (when they were read only at the first wrap-up, a key pressed under load picked nothing).
    const disposition = page.getByRole('combobox', { name: /Disposition/ });
    await eventually(() => disposition.innerText(), (text) => /Resolved/.test(text), 10_000, 'the dispositions loaded');
    await page.keyboard.press('ArrowDown'); // Material's select: the next disposition, without opening it
    await eventually(() => disposition.innerText(), (text) => /Escalated/.test(text), 5_000, 'the next disposition picked');
    await tabTo(page, /Notes/);
    await page.keyboard.type('Reset the password by phone');
    await tabTo(page, /Done/);
    await page.keyboard.press('Enter');
    await hidden(page.getByRole('button', { name: 'Done' }));
    await eventually(() => focused(page), (f) => /Available/.test(f), 5_000, 'Done → the availability buttons');

    await page.keyboard.press('?');
    await visible(page.getByRole('dialog', { name: 'Keyboard shortcuts' }));
    await page.keyboard.press('Escape');
    await hidden(page.getByRole('dialog', { name: 'Keyboard shortcuts' }));

    const record = await latestCall(app.baseUrl);
    expect(record.outcome).toBe('answered');
    expect(record.disposition).toBe('Escalated');
    expect(record.notes).toBe('Reset the password by phone');
  }, 90_000);

  it('alerts an agent whose desk is in a hidden tab: notification, flashing title, favicon badge; clicking it brings the tab forward', async () => {
    const { context, page } = await signIn(browser, app.baseUrl, 'agent2', preparePage);
    contexts.push(context);
    await atPath(page, /^\/agent$/);
    await page.getByRole('button', { name: 'Available', exact: true }).click();
    await visible(page.getByRole('button', { name: 'Available', pressed: true }));
    expect(await page.evaluate(() => Notification.permission)).toBe('granted');
    const titleBefore = await page.title();
    await page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.setTabHidden(true));

    const student = await signIn(browser, app.baseUrl, 'student');
    contexts.push(student.context);
    await student.page.getByRole('button', { name: 'Call support' }).click();
    const shown = await eventually(() => page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.notifications), (n) => n.length > 0, 10_000, 'a notification');
    expect(shown).toEqual([{ title: 'Incoming call', body: 'Sam Student is calling the help desk.' }]);
    const titles = new Set<string>();
    for (let i = 0; i < 12; i++) {
      titles.add(await page.title());
      await page.waitForTimeout(200);
    }
    expect([...titles].sort()).withContext('the title alternates').toEqual([titleBefore, 'Incoming call — Sam Student'].sort());
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,.*d32f2f/);

    // Clicking the notification focuses the tab; once shown, the alerts stop.
    await page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.clickNotification());
    expect(await page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.focusCalls)).toBe(1);
    await page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.setTabHidden(false));
    expect(await page.title()).toBe(titleBefore);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('favicon.svg');
    expect(await page.evaluate(() => (window as unknown as { deskTest: DeskTest }).deskTest.closed)).withContext('the notification closed').toBeGreaterThan(0);
    await visible(page.getByRole('dialog', { name: /Incoming call/ }));
  }, 90_000);
});

/** What {@link preparePage} adds to the agent's window, as `window.deskTest`. */
interface DeskTest {
  notifications: { title: string; body: string | undefined }[];
  closed: number;
  focusCalls: number;
  clickNotification(): void;
  setTabHidden(hidden: boolean): void;
}

/**
 * Grants notifications, records the ones the page shows (the browser's own Notification, called
 * through), and lets the spec hide and show the tab: headless Chromium has no window to hide,
 * so `document.hidden` and `visibilitychange` are played as a browser plays them.
 */
async function preparePage(context: BrowserContext): Promise<void> {
  await context.grantPermissions(['microphone', 'notifications']);
  await context.addInitScript(() => {
    const test = { notifications: [], closed: 0, focusCalls: 0, lastNotification: null } as unknown as DeskTest & { lastNotification: Notification | null };
    (window as unknown as { deskTest: DeskTest }).deskTest = test;
    const Real = window.Notification;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        test.notifications.push({ title, body: options?.body });
        super(title, options);
        test.lastNotification = this;
      }
      override close(): void {
        test.closed++;
        super.close();
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    window.Notification = Recorded as unknown as typeof Notification;
    const focus = window.focus.bind(window);
    window.focus = () => {
      test.focusCalls++;
      focus();
    };
    test.clickNotification = () => test.lastNotification?.onclick?.call(test.lastNotification, new Event('click'));
    test.setTabHidden = (hidden: boolean) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    };
  });
}
