import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { MAX_HELD_CANDIDATES } from '../src/calls/signal-holds';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { MAX_SOCKETS_PER_USER, RATE_LIMITED_ACK, SOCKET_EVENT_LIMITS, TOO_MANY_CONNECTIONS } from '../src/realtime/socket-rate-limit';
import type { TestApp } from '../src/testing/test-app';
import { eventually, startCallApp, TestClient } from './call-clients';

describe('Rate limits on socket events (e2e)', () => {
  let app: TestApp;
  let db: Kysely<Database>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    app = await startCallApp();
    db = app.app.get<Kysely<Database>>(DATABASE);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(() => app.close());

  async function connect(username: string): Promise<TestClient> {
    const client = await TestClient.connect(app.url, username);
    clients.push(client);
    return client;
  }

  it('lets a burst of ICE candidates through, then refuses the excess with rate_limited, unhandled', async () => {
    const alex = await connect('agent');
    await alex.ok('setAvailability', { state: 'available' });
    const student = await connect('student');
    const { callId } = await student.ok('requestCall', {});
    await alex.next('callOffered');
    const burst = SOCKET_EVENT_LIMITS.sendCandidate?.burst ?? 0;
    const candidates = Array.from({ length: burst + 100 }, (_, n) => ({
      callId,
      messageId: randomUUID(),
      candidate: { candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${6000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 },
    }));
    const acks = await Promise.all(candidates.map((c) => student.send('sendCandidate', c)));
    const refused = acks.filter((a) => !a.ok);
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(burst);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => JSON.stringify(a) === JSON.stringify(RATE_LIMITED_ACK))).toBeTrue();
    // Handled = relayed live to the ringing agent (only the first MAX_HELD_CANDIDATES are also held).
    const handled = acks.length - refused.length;
    await eventually(async () => alex.seen('candidateRelayed').length >= handled);
    await new Promise((r) => setTimeout(r, 200));
    expect(alex.seen('candidateRelayed').length).withContext('refused candidates are not handled').toBe(handled);
    const held = await db.selectFrom('call_signals').select((eb) => eb.fn.countAll<number | string>().as('n')).where('call_id', '=', callId).where('kind', '=', 'candidate').executeTakeFirstOrThrow();
    expect(Number(held.n)).toBe(Math.min(handled, MAX_HELD_CANDIDATES));
    await student.ok('cancelCall', { callId });
  });

  it('allows 5 call requests per 10 s per user, and answers the 6th rate_limited', async () => {
    const alex = await connect('agent');
    await alex.ok('setAvailability', { state: 'available' });
    const student = await connect('student2');
    const acks = [];
    // Each request is answered (a conflict after the first: one call at a time), until the limit.
    for (let i = 0; i < 6; i++) acks.push(await student.send('requestCall', {}));
    expect(acks.slice(0, 5).map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'conflict', 'conflict', 'conflict', 'conflict']);
    expect(acks[5]).toEqual({ ok: false, error: { code: 'rate_limited', message: 'Too many requests — slow down' } });
    // The limit is per user: another tab (or a new socket) shares the spent budget.
    const tab = await student.newTab(app.url);
    clients.push(tab);
    expect(await tab.send('requestCall', {})).toEqual(RATE_LIMITED_ACK);
    const first = acks[0];
    if (first.ok) await student.ok('cancelCall', { callId: first.data.callId });
  });

  it('shares one budget between all the sockets of a user: more sockets buy no more events', async () => {
    const agent = await connect('agent2');
    const tabs = [agent, ...(await Promise.all(Array.from({ length: 4 }, () => agent.newTab(app.url))))];
    clients.push(...tabs.slice(1));
    const burst = SOCKET_EVENT_LIMITS.default.burst;
    // 2 × burst events spread over 5 sockets: with per-socket buckets every one would pass.
    const acks = await Promise.all(Array.from({ length: 2 * burst }, (_, n) => tabs[n % tabs.length].send('setAvailability', { state: n % 2 ? 'away' : 'available' })));
    const refused = acks.filter((a) => JSON.stringify(a) === JSON.stringify(RATE_LIMITED_ACK)).length;
    expect(refused).toBeGreaterThanOrEqual(burst - 2);
    // Another user is not affected.
    const other = await connect('agent');
    expect((await other.send('setAvailability', { state: 'away' })).ok).toBeTrue();
  });

  it(`refuses a user's socket over ${MAX_SOCKETS_PER_USER} at the handshake with too_many_connections`, async () => {
    const first = await connect('supervisor');
    for (let i = 1; i < MAX_SOCKETS_PER_USER; i++) clients.push(await first.newTab(app.url));
    await expectAsync(first.newTab(app.url)).toBeRejectedWith(jasmine.objectContaining({ message: TOO_MANY_CONNECTIONS }));
    // Other users still connect; once one of the user's sockets closes, a new one is admitted.
    await connect('agent');
    await first.close();
    const again = await eventually(() => first.newTab(app.url).catch(() => null));
    clients.push(again);
    expect(again.socket.connected).toBeTrue();
  });
});
