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

/**
 * Starts noting every text the page's elements matching `selector` show, however briefly
 * (a MutationObserver in the page); the returned function reads what was seen so far.
 */
export async function watchTexts(page: Page, selector: string): Promise<() => Promise<string[]>> {
  const key = `__seen_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([sel, k]) => {
      const seen: string[] = [];
      (window as unknown as Record<string, string[]>)[k] = seen;
      const note = () => {
        for (const el of Array.from(document.querySelectorAll(sel))) {
          const text = el.textContent ?? '';
          if (seen.at(-1) !== text) seen.push(text);
        }
      };
      note();
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    },
    [selector, key] as const,
  );
  return () => page.evaluate((k) => (window as unknown as Record<string, string[]>)[k] ?? [], key);
}
