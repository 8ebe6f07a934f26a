import type { Locator, Page } from 'playwright-core';

/** Waits until the locator is visible (fails the spec with the locator's description). */
export async function visible(locator: Locator, timeout = 5_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout });
}

/** Waits until nothing matching the locator is visible. */
export async function hidden(locator: Locator, timeout = 5_000): Promise<void> {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** Polls `read` until `accept` holds for its value, and returns that value. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeout = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T = await read();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeout} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await read();
  }
  return last;
}

/** Waits until the page's URL path matches. */
export async function atPath(page: Page, path: RegExp, timeout = 10_000): Promise<void> {
  await page.waitForURL((url) => path.test(url.pathname), { timeout });
}
