import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database } from '../src/database/schema';
import { RATE_LIMITED_ACK, SOCKET_EVENT_LIMITS } from '../src/realtime/socket-rate-limit';
import type { TestApp } from '../src/testing/test-app';
import { startCallApp, TestClient } from './call-clients';

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
    const held = await db.selectFrom('call_signals').select((eb) => eb.fn.countAll<number | string>().as('n')).where('call_id', '=', callId).executeTakeFirstOrThrow();
    expect(Number(held.n)).withContext('refused candidates are not handled').toBe(acks.length - refused.length);
    await student.ok('cancelCall', { callId });
  });

  it('allows 5 call requests per 10 s per socket, and answers the 6th rate_limited', async () => {
    const alex = await connect('agent');
    await alex.ok('setAvailability', { state: 'available' });
    const student = await connect('student2');
    const acks = [];
    // Each request is answered (a conflict after the first: one call at a time), until the limit.
    for (let i = 0; i < 6; i++) acks.push(await student.send('requestCall', {}));
    expect(acks.slice(0, 5).map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['ok', 'conflict', 'conflict', 'conflict', 'conflict']);
    expect(acks[5]).toEqual({ ok: false, error: { code: 'rate_limited', message: 'Too many requests — slow down' } });
    // The limit is per socket: another tab still has its own budget; other events are not affected.
    const tab = await student.newTab(app.url);
    clients.push(tab);
    expect(await tab.send('requestCall', {})).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'conflict' }) }));
    const first = acks[0];
    if (first.ok) await student.ok('cancelCall', { callId: first.data.callId });
  });
});
