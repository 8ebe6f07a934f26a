import { Browser, BrowserContext, Page } from 'playwright-core';
import { AppServer, startAppServer } from './support/app-server';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, visible } from './support/wait';

/** What a page recorded of `securitypolicyviolation` events (set up before any of its scripts ran). */
interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

/** Records every Content Security Policy violation of the context's pages in `window.__cspViolations`. */
async function recordViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: Violation[] = [];
    (window as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
  });
}

const violations = (page: Page): Promise<Violation[]> => page.evaluate(() => (window as unknown as { __cspViolations: Violation[] }).__cspViolations);

// The built portal under the API's Content Security Policy, in Debian's Chromium: every page a
// role lands on loads, is styled and works (REST and the socket), with no violation reported —
// and an inline script, which the policy exists to stop, is blocked and reported.
describe('the portal under its Content Security Policy', () => {
  let app: AppServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    app = await startAppServer({ LOG_LEVEL: 'warn' });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await app?.stop();
  });


  async function signedIn(username: string): Promise<Page> {
    const { context, page } = await signIn(browser, app.baseUrl, username, recordViolations);
    contexts.push(context);
    return page;
  }

  it('serves the portal with a strict script policy', async () => {
    const res = await fetch(`${app.baseUrl}/login`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)|\son[a-z]+=/);
  }, 30_000);

  it('lets an agent sign in, styled, and go Available over the socket, with no violation', async () => {
    const page = await signedIn('agent');
    await atPath(page, /^\/agent$/);
    expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain('Roboto');
    await page.getByRole('button', { name: 'Available', exact: true }).click();
    await visible(page.getByText('Available', { exact: true }).first());
    expect(await violations(page)).toEqual([]);
  }, 30_000);

  it("shows a student the help page and a supervisor the live board with the agent's state, with no violation", async () => {
    const student = await signedIn('student');
    await atPath(student, /^\/help$/);
    await visible(student.getByRole('button', { name: 'Call support' }));
    const supervisor = await signedIn('supervisor');
    await atPath(supervisor, /^\/supervisor/);
    await visible(supervisor.getByRole('cell', { name: /Alex Agent/ }));
    for (const page of [student, supervisor]) expect(await violations(page)).toEqual([]);
  }, 30_000);

  it('blocks and reports an inline script (the check above would see a violation)', async () => {
    const page = await signedIn('student');
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.head.append(script);
    });
    const seen = await eventually(() => violations(page), (v) => v.length > 0, 5_000, 'a reported violation');
    expect(seen[0].directive).toMatch(/^script-src/);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  }, 30_000);
});
