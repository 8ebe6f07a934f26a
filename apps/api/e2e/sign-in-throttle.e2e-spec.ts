import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_PASSWORD, DEMO_USERS, call, expectProblem } from './support';

const PER_USERNAME = 4;
const PER_ADDRESS = 12;

/** Eleven usernames, as in a spraying attempt: some exist, most do not. */
const USERNAMES = ['student', 'agent', 'agent2', 'supervisor', ...Array.from({ length: 7 }, (_, i) => `staff${i}`)];

const attempt = (app: TestApp, username: string, password = 'Autumn2026!') => call(app.url, 'POST', '/api/auth/login', { body: { username, password } });

/**
 * Password spraying (one password tried on many accounts) is throttled per client address
 * across usernames, besides the per address-and-username limit, and with REDIS_URL every node
 * spends from the same budgets.
 */
describe('Sign-in throttling (e2e)', () => {
  const env = { LOGIN_ATTEMPTS_PER_MINUTE: String(PER_USERNAME), LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: String(PER_ADDRESS) };

  describe('on one node', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(env);
      await app.seed(DEMO_USERS);
    });
    afterAll(() => app.close());

    it('answers 429 once one address has tried its per-address budget over many usernames, even with the right password', async () => {
      const answers: number[] = [];
      for (let i = 0; i < 33; i++) answers.push((await attempt(app, USERNAMES[i % USERNAMES.length])).status);
      expect(answers.slice(0, PER_ADDRESS)).toEqual(Array<number>(PER_ADDRESS).fill(401));
      expect(answers.slice(PER_ADDRESS)).toEqual(Array<number>(33 - PER_ADDRESS).fill(429));
      const blocked = await attempt(app, 'agent2', DEMO_PASSWORD);
      expect(expectProblem(blocked, 429, 'rate_limited').detail).toContain('Too many sign-in attempts');
    });
  });

  describe('across two nodes sharing Redis', () => {
    let nodes: TestApp[] = [];
    beforeAll(async () => {
      const shared = { ...env, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_ROOMS_KEY: `sb-test-${randomUUID()}` };
      nodes = [await startTestApp(shared), await startTestApp(shared)];
      for (const node of nodes) await node.seed(DEMO_USERS);
    });
    afterAll(async () => {
      for (const node of nodes) await node.close();
    });

    it('spends one per address-and-username budget and one per-address budget on both nodes', async () => {
      for (let i = 0; i < PER_USERNAME; i++) {
        expect((await attempt(nodes[i % 2], 'agent', `guess-${i}`)).status).withContext(`attempt ${i + 1}`).toBe(401);
      }
      for (const node of nodes) expectProblem(await attempt(node, 'agent', DEMO_PASSWORD), 429, 'rate_limited');

      // Every attempt so far counted for the address, refused ones included: the rest of its budget goes on other usernames, half on each node.
      const left = PER_ADDRESS - PER_USERNAME - nodes.length;
      const others = USERNAMES.filter((u) => u !== 'agent');
      const answers: number[] = [];
      for (let i = 0; i < left; i++) answers.push((await attempt(nodes[i % 2], others[i % others.length])).status);
      expect(answers).toEqual(Array<number>(left).fill(401));
      for (const node of nodes) expectProblem(await attempt(node, 'supervisor', DEMO_PASSWORD), 429, 'rate_limited');
    });
  });
});
