import { executionAsyncId } from 'node:async_hooks';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { storage, Store } from 'nestjs-pino/storage';
import { pino } from 'pino';
import { requestLogContext } from './logger';

/**
 * Whether Node runs async hooks on promises now: inside a promise's reaction
 * `executionAsyncId()` is the promise's own id while it does (an `AsyncLocalStorage` is
 * enabled), 0 when it does not.
 */
async function promiseHooksOn(): Promise<boolean> {
  return (await Promise.resolve().then(() => executionAsyncId())) !== 0;
}

describe('requestLogContext', () => {
  let server: Server;
  let url: string;
  /** Requests being answered, by path: resolve to answer one. */
  const held = new Map<string, () => void>();
  /** The request's logger as nestjs-pino's loggers see it, read in the handler after an await. */
  const seen = new Map<string, unknown>();

  beforeEach(async () => {
    // Node 20 keeps an AsyncLocalStorage's context with promise hooks, what this is about;
    // a Node that keeps it otherwise (AsyncContextFrame) has nothing to switch off.
    const hooked = await storage.run(new Store(pino({ enabled: false })), () => promiseHooksOn());
    storage.disable();
    if (!hooked) pending('this Node keeps async context without promise hooks');
    const context = requestLogContext();
    server = createServer((req, res) =>
      context(req, res, () =>
        // What nestjs-pino's middleware does for every request: the rest runs in its Store.
        storage.run(new Store(pino({ enabled: false }).child({ path: req.url })), async () => {
          await new Promise<void>((resolve) => held.set(req.url ?? '', resolve));
          seen.set(req.url ?? '', storage.getStore()?.logger.bindings());
          res.end('done');
        }),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    held.forEach((answer) => answer());
    if (server?.listening) await new Promise((resolve) => server.close(resolve));
    storage.disable();
  });

  function get(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      request(url + path, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
        .on('error', reject)
        .end();
    });
  }

  /** Waits (up to 2 s) until `check` holds. */
  async function eventually(check: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; i < 400; i++) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  }

  async function until(path: string): Promise<void> {
    for (let i = 0; i < 200 && !held.has(path); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(held.has(path)).withContext(`${path} reached the handler`).toBeTrue();
  }

  it('keeps each request its logger while any is answered, and stops async hooks once the last has closed', async () => {
    const first = get('/first');
    const second = get('/second');
    await until('/first');
    await until('/second');
    expect(await promiseHooksOn()).toBeTrue();

    held.get('/first')?.();
    expect(await first).toBe('done');
    // The second is still being answered: its context must survive the first's close.
    expect(await promiseHooksOn()).toBeTrue();
    held.get('/second')?.();
    expect(await second).toBe('done');
    await new Promise((resolve) => setImmediate(resolve));

    expect(seen.get('/first')).toEqual({ path: '/first' });
    expect(seen.get('/second')).toEqual({ path: '/second' });
    expect(await promiseHooksOn()).toBeFalse();
    // Lines logged outside requests go to nestjs-pino's root logger, as before.
    expect(storage.getStore()).toBeUndefined();

    // The next request switches the context on again.
    const third = get('/third');
    await until('/third');
    held.get('/third')?.();
    expect(await third).toBe('done');
    expect(seen.get('/third')).toEqual({ path: '/third' });
  });

  it('counts a request whose client went away before the answer as closed', async () => {
    const gone = new Promise<void>((resolve, reject) => {
      const req = request(url + '/gone');
      req.on('error', () => resolve());
      req.end();
      until('/gone').then(() => req.destroy(), reject);
    });
    await gone;
    expect(await eventually(async () => !(await promiseHooksOn()))).withContext('async hooks off once the server saw the request close').toBeTrue();
  });
});
