import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { DATABASE } from '../src/database/database.module';
import type { Database, DeadlineRow } from '../src/database/schema';
import { AgentPresence } from '../src/calls/agent-presence.service';
import { Deadlines } from '../src/calls/deadlines';
import { PresenceKeeper } from '../src/calls/presence-keeper.service';
import { DIALECTS } from '../src/testing/each-dialect';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { createTempDir } from '../src/testing/temp-dir';
import type { TestApp } from '../src/testing/test-app';
import { eventually, pause, startCallApp, TestClient } from './call-clients';
import { call } from './support';

/** The deadlines a call's life and presence set (retention's is the app's own). */
const KINDS_HANDLED = ['ring_timeout', 'max_wait', 'media_timeout', 'wrap_up_end', 'presence_grace'] as const;

/** One app per spec, with the call settings each spec needs. */
describe('Call deadlines and presence (e2e)', () => {
  const apps: TestApp[] = [];
  const clients: TestClient[] = [];
  const databases: TestPostgresDatabase[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const app of apps.splice(0)) await app.close();
    for (const pg of databases.splice(0)) await pg.drop();
  });

  async function start(env: Record<string, string>): Promise<{ app: TestApp; db: Kysely<Database> }> {
    const app = await startCallApp(env);
    apps.push(app);
    return { app, db: app.app.get<Kysely<Database>>(DATABASE) };
  }

  /** The user's grace-period deadline, if they have one. */
  function graceDeadline(db: Kysely<Database>, userId: string) {
    return db.selectFrom('deadlines').select(['id', 'due_at', 'claimed_by']).where('subject_id', '=', userId).where('kind', '=', 'presence_grace').executeTakeFirst();
  }

  /** The agent's state and connection as stored. */
  function presence(db: Kysely<Database>, agentId: string) {
    return db.selectFrom('agent_presence').select(['state', 'connected']).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
  }

  /** The user's grace period, claimed ahead of its end as a node's deadline worker claims a due one. */
  async function claimGrace(db: Kysely<Database>, userId: string): Promise<DeadlineRow> {
    return db
      .updateTable('deadlines')
      .set({ claimed_by: 'another-node', claimed_at: new Date().toISOString() })
      .where('kind', '=', 'presence_grace')
      .where('subject_id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Resolves once a transaction of `db`'s database waits for a lock the backend `pid` holds. */
  async function waitingFor(db: Kysely<Database>, pid: number): Promise<void> {
    await eventually(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and ${pid} = any(pg_blocking_pids(pid))`.execute(db)).rows[0].n > 0);
  }

  async function connect(app: TestApp, username: string, state?: 'available'): Promise<TestClient> {
    const client = await TestClient.connect(app.url, username);
    clients.push(client);
    if (state) {
      await client.ok('setAvailability', { state });
      await pause(5);
    }
    return client;
  }

  it('takes the call settings from the validated configuration (call settings and the metrics’ default)', async () => {
    const { app } = await start({
      RING_TIMEOUT_SECONDS: '7',
      WRAP_UP_SECONDS: '9',
      WRAP_UP_MAX_SECONDS: '40',
      DISPOSITION_REQUIRED: 'true',
      SHORT_ABANDON_SECONDS: '3',
      DISPOSITIONS: 'Solved,Referred',
    });
    const sign = async (username: string) =>
      (await call<{ accessToken: string }>(app.url, 'POST', '/api/auth/login', { body: { username, password: 'switchboard' } })).body.accessToken;
    const settings = await call(app.url, 'GET', '/api/call-settings', { token: await sign('agent') });
    expect(settings.body).toEqual({
      ringTimeoutSeconds: 7,
      maxWaitSeconds: 300,
      wrapUpSeconds: 9,
      wrapUpMaxSeconds: 40,
      dispositionRequired: true,
      dispositions: ['Solved', 'Referred'],
    });
    const metrics = await call<{ thresholds: { shortAbandonSeconds: number } }>(app.url, 'GET', '/api/metrics', { token: await sign('supervisor') });
    expect(metrics.body.thresholds.shortAbandonSeconds).toBe(3);
  });

  it('on ring timeout, marks the agent Missed and offers the call to the next agent', async () => {
    const { app, db } = await start({ RING_TIMEOUT_SECONDS: '1' });
    const alex = await connect(app, 'agent', 'available');
    const blake = await connect(app, 'agent2', 'available');
    const student = await connect(app, 'student');
    const { callId } = await student.ok('requestCall', {});
    await alex.next('callOffered');
    expect(await alex.next('offerWithdrawn', undefined, 3000)).toEqual({ callId, reason: 'rang_out' });
    await alex.next('agentStatusChanged', (s) => s.state === 'missed');
    expect((await blake.next('callOffered')).callId).toBe(callId);
    const missed = await db.selectFrom('call_events').select(['actor_name', 'detail']).where('call_id', '=', callId).where('type', '=', 'missed').execute();
    expect(missed).toEqual([{ actor_name: 'Alex Agent', detail: 'missed by Alex Agent' }]);

    // Missed agents are offered nothing until they click back to Available.
    const other = await connect(app, 'student2');
    const second = await other.ok('requestCall', {});
    await pause(300);
    expect(alex.seen('callOffered')).toEqual([]);
    await alex.ok('setAvailability', { state: 'available' });
    expect((await alex.next('callOffered')).callId).toBe(second.callId);
  });

  it('tells a waiting caller nobody is staffed, with no estimate, while the only agent is Missed, and again when they return', async () => {
    const { app } = await start({ RING_TIMEOUT_SECONDS: '1' });
    // An answered call first, so the queue has a history to estimate from.
    const alex = await connect(app, 'agent', 'available');
    const earlier = await connect(app, 'student2');
    const first = await earlier.ok('requestCall', {});
    await alex.next('callOffered');
    await alex.ok('acceptCall', { callId: first.callId });
    await earlier.ok('hangUp', { callId: first.callId });
    await alex.ok('completeWrapUp', { callId: first.callId, disposition: 'Resolved', notes: '' });
    await alex.next('agentStatusChanged', (s) => s.state === 'available');

    const student = await connect(app, 'student');
    const placed = await student.ok('requestCall', {});
    expect(placed).withContext('Alex is Available').toEqual({ callId: placed.callId, position: 1, estimatedWaitSeconds: jasmine.any(Number), staffed: true });
    await alex.next('callOffered', (o) => o.callId === placed.callId);
    await alex.next('agentStatusChanged', (s) => s.state === 'missed', 3000);
    expect(await student.next('queueUpdated', (q) => q.staffed === false, 3000)).toEqual({ callId: placed.callId, position: 1, estimatedWaitSeconds: null, staffed: false });

    await alex.ok('setAvailability', { state: 'available' });
    expect((await student.next('queueUpdated', (q) => q.staffed === true)).estimatedWaitSeconds).toEqual(jasmine.any(Number));
  });

  for (const dialect of DIALECTS) {
    it(`extends wrap-up by 30 s on request, up to WRAP_UP_MAX_SECONDS, and only for the agent in that wrap-up [${dialect}]`, async () => {
      const pg = dialect === 'postgres' ? await createTestPostgresDatabase() : null;
      if (pg) databases.push(pg);
      const { app, db } = await start({ WRAP_UP_SECONDS: '2', WRAP_UP_MAX_SECONDS: '62', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      const alex = await connect(app, 'agent', 'available');
      const blake = await connect(app, 'agent2', 'available');
      const student = await connect(app, 'student');
      const { callId } = await student.ok('requestCall', {});
      // Alex has been Available longest: the call is theirs.
      const [agent, other] = [alex, blake];
      await agent.next('callOffered');
      expect(await agent.send('extendWrapUp', { callId })).withContext('not in wrap-up yet').toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'invalid_state' }) }));
      await agent.ok('acceptCall', { callId });
      await student.ok('hangUp', { callId });
      const wrapUp = await agent.next('agentStatusChanged', (s) => s.state === 'wrap_up');
      const firstEnd = Date.parse(wrapUp.wrapUpEndsAt ?? '');

      const extended = await agent.ok('extendWrapUp', { callId });
      expect(Date.parse(extended.wrapUpEndsAt ?? '') - firstEnd).toBe(30_000);
      expect((await agent.next('agentStatusChanged', (s) => s.wrapUpEndsAt === extended.wrapUpEndsAt)).state).toBe('wrap_up');
      const deadline = await db.selectFrom('deadlines').select('due_at').where('subject_id', '=', agent.userId).where('kind', '=', 'wrap_up_end').executeTakeFirstOrThrow();
      expect(Date.parse(deadline.due_at)).withContext('the deadline row moved with it').toBe(Date.parse(extended.wrapUpEndsAt ?? ''));
      expect(await other.send('extendWrapUp', { callId })).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'invalid_state' }) }));

      // 2 s + 30 s + 30 s reaches the 62 s limit; a third is refused, saying why.
      const second = await agent.ok('extendWrapUp', { callId });
      expect(Date.parse(second.wrapUpEndsAt ?? '')).toBe(Date.parse(wrapUp.since) + 62_000);
      expect(await agent.send('extendWrapUp', { callId })).toEqual({ ok: false, error: { code: 'invalid_state', message: 'Wrap-up cannot last longer than 62 seconds' } });

      // Past the first end the agent is still in wrap-up.
      await pause(Math.max(0, firstEnd - Date.now()) + 600);
      expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agent.userId).executeTakeFirstOrThrow()).state).toBe('wrap_up');

      // Once its end has passed, the wrap-up is over even before its deadline runs (held off here).
      await db.updateTable('deadlines').set({ due_at: '2999-01-01T00:00:00.000Z' }).where('subject_id', '=', agent.userId).where('kind', '=', 'wrap_up_end').execute();
      await db.updateTable('agent_presence').set({ wrap_up_ends_at: new Date(Date.now() - 1000).toISOString() }).where('agent_id', '=', agent.userId).execute();
      expect(await agent.send('extendWrapUp', { callId })).toEqual({ ok: false, error: { code: 'invalid_state', message: 'Wrap-up time has run out' } });
      await agent.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: '' });
    });
  }

  it('rings the only agent on duty again once the cool-down after their decline is over', async () => {
    const { app, db } = await start({ RING_TIMEOUT_SECONDS: '1' });
    const alex = await connect(app, 'agent', 'available');
    const student = await connect(app, 'student');
    const { callId } = await student.ok('requestCall', {});
    await alex.next('callOffered');
    const declinedAt = Date.now();
    await alex.ok('declineCall', { callId });
    const retry = await db.selectFrom('deadlines').select(['kind', 'due_at']).where('subject_id', '=', callId).where('kind', '=', 'ring_timeout').executeTakeFirst();
    expect(Date.parse(retry?.due_at ?? '') - declinedAt).withContext('a deadline row re-runs routing when the cool-down ends').toBeGreaterThanOrEqual(1000);
    await pause(500);
    expect(alex.seen('callOffered')).withContext('no instant re-ring').toEqual([]);
    expect((await alex.next('callOffered', undefined, 3000)).callId).toBe(callId);
    expect(Date.now() - declinedAt).toBeGreaterThanOrEqual(1000);
    const types = await db.selectFrom('call_events').select('type').where('call_id', '=', callId).orderBy('seq').execute();
    expect(types.map((t) => t.type)).toEqual(['queued', 'offered', 'declined', 'offered']);
  });

  it('gives the call of an agent whose connection is lost while ringing to the next agent after the grace period', async () => {
    const { app, db } = await start({ PRESENCE_GRACE_SECONDS: '1' });
    const alex = await connect(app, 'agent', 'available');
    const blake = await connect(app, 'agent2', 'available');
    const student = await connect(app, 'student');
    const { callId } = await student.ok('requestCall', {});
    await alex.next('callOffered');
    await alex.close();
    await eventually(async () => (await db.selectFrom('agent_presence').select('connected').where('agent_id', '=', alex.userId).executeTakeFirst())?.connected === 0);
    expect((await blake.next('callOffered', undefined, 4000)).callId).toBe(callId);
    const presence = await db.selectFrom('agent_presence').selectAll().where('agent_id', '=', alex.userId).executeTakeFirstOrThrow();
    expect(presence).toEqual(jasmine.objectContaining({ state: 'offline', connected: 0, call_id: null }));
  });

  it('keeps an agent whose page reloaded connected when the old socket\'s disconnect races the new one', async () => {
    const { app, db } = await start({ PRESENCE_GRACE_SECONDS: '30' });
    const alex = await connect(app, 'agent', 'available');
    const presence = app.app.get(AgentPresence);
    const original = presence.disconnect.bind(presence);
    let reloaded: TestClient | null = null;
    const spy = spyOn(presence, 'disconnect').and.callFake(async (agentId: string) => {
      // The reloaded page connects after the old socket's handler saw no socket, before it marks the agent disconnected.
      reloaded = await alex.newTab(app.url);
      clients.push(reloaded);
      await reloaded.next('agentStatusChanged', (s) => s.connected);
      return original(agentId);
    });
    await alex.close();
    await eventually(async () => reloaded);
    const row = await eventually(async () => {
      const r = await db.selectFrom('agent_presence').select(['connected', 'state']).where('agent_id', '=', alex.userId).executeTakeFirst();
      return r?.connected === 1 && spy.calls.count() > 0 && r;
    });
    await pause(200);
    expect(await db.selectFrom('agent_presence').select(['connected', 'state']).where('agent_id', '=', alex.userId).executeTakeFirst()).toEqual({ connected: 1, state: 'available' });
    expect(row.state).toBe('available');
    expect(await db.selectFrom('deadlines').select('kind').where('subject_id', '=', alex.userId).execute()).toEqual([]);
    const student = await connect(app, 'student');
    const { callId } = await student.ok('requestCall', {});
    expect((await (reloaded as unknown as TestClient).next('callOffered')).callId).toBe(callId);
  });

  it('repairs presence when a grace period ends for an agent who is connected but marked disconnected, and removes that grace period', async () => {
    const { app, db } = await start({});
    const alex = await connect(app, 'agent', 'available');
    const blake = await connect(app, 'agent2', 'available');
    await db.updateTable('agent_presence').set({ connected: 0 }).where('agent_id', '=', alex.userId).execute();
    const first = await (await connect(app, 'student')).ok('requestCall', {});
    expect((await blake.next('callOffered')).callId).toBe(first.callId);
    const { callId } = await (await connect(app, 'student2')).ok('requestCall', {});
    await pause(100);
    expect(alex.seen('callOffered')).toEqual([]);
    await app.app.get(Deadlines).schedule('presence_grace', alex.userId, new Date());
    expect((await alex.next('callOffered', undefined, 3000)).callId).toBe(callId);
    expect((await db.selectFrom('agent_presence').select('connected').where('agent_id', '=', alex.userId).executeTakeFirstOrThrow()).connected).toBe(1);
    // Not left claimed, to be taken up again each time the claim goes stale.
    expect(await graceDeadline(db, alex.userId)).withContext('the grace period that ended').toBeUndefined();
  });

  it('deletes, with its handler, every kind of due deadline whose call or user has moved on or is gone', async () => {
    const { app, db } = await start({});
    const subjects = new Map(KINDS_HANDLED.map((kind) => [kind, randomUUID()]));
    for (const [kind, subject] of subjects) await app.app.get(Deadlines).schedule(kind, subject, new Date());
    const left = () => db.selectFrom('deadlines').select(['kind', 'claimed_by']).where('subject_id', 'in', [...subjects.values()]).execute();
    await eventually(async () => (await left()).length === 0, 5000).catch(async () => fail(`left: ${JSON.stringify(await left())}`));
  });

  it('repairs nothing at the end of a grace period set again since its claim, though a tab is open: the new one repairs when it ends', async () => {
    const { app, db } = await start({ PRESENCE_GRACE_SECONDS: '30' });
    const alex = await connect(app, 'agent', 'available');
    // As a disconnect that raced the tab leaves it: marked disconnected, a grace period claimed
    // by a node — and since, set again (another tab's departure), unclaimed, ending later.
    await db.updateTable('agent_presence').set({ connected: 0 }).where('agent_id', '=', alex.userId).execute();
    await app.app.get(Deadlines).schedule('presence_grace', alex.userId, new Date(Date.now() + 60_000));
    const claimed = await claimGrace(db, alex.userId);
    await app.app.get(Deadlines).schedule('presence_grace', alex.userId, new Date(Date.now() + 90_000));
    const next = await graceDeadline(db, alex.userId);
    await app.app.get(PresenceKeeper).graceEnded(claimed);
    expect(await presence(db, alex.userId)).withContext('left as the newer grace period found them').toEqual({ state: 'available', connected: 0 });
    expect(await graceDeadline(db, alex.userId)).withContext('the newer grace period').toEqual(next);
    await app.app.get(PresenceKeeper).graceEnded(await claimGrace(db, alex.userId));
    expect(await presence(db, alex.userId)).withContext('repaired by the newer one').toEqual({ state: 'available', connected: 1 });
    expect(await graceDeadline(db, alex.userId)).toBeUndefined();
  });

  for (const dialect of DIALECTS) {
    it(`leaves an agent whose grace period was cancelled and started again while its end ran until the new one ends [${dialect}]`, async () => {
      const pg = dialect === 'postgres' ? await createTestPostgresDatabase() : null;
      if (pg) databases.push(pg);
      const { app, db } = await start({ PRESENCE_GRACE_SECONDS: '30', ...(pg ? { DATABASE_URL: pg.url } : {}) });
      const alex = await connect(app, 'agent', 'available');
      await alex.close();
      await eventually(async () => (await presence(db, alex.userId)).connected === 0 && (await graceDeadline(db, alex.userId)));
      const claimed = await claimGrace(db, alex.userId);
      // Meanwhile the agent's tab came back (the grace period cancelled) and left again (a new one started).
      const again = await alex.newTab(app.url);
      clients.push(again);
      await eventually(async () => (await presence(db, alex.userId)).connected === 1 && !(await graceDeadline(db, alex.userId)));
      await again.close();
      const next = await eventually(async () => (await presence(db, alex.userId)).connected === 0 && (await graceDeadline(db, alex.userId)));
      await app.app.get(PresenceKeeper).graceEnded(claimed);
      expect(await presence(db, alex.userId)).withContext('signed out by the grace period the tab ended').toEqual({ state: 'available', connected: 0 });
      expect(await graceDeadline(db, alex.userId)).withContext('the new grace period').toEqual({ ...next, claimed_by: null });
    });
  }

  it('takes a gone agent\'s row before their grace deadline when it ends, and leaves an agent whose tab came back meanwhile as they are [postgres]', async () => {
    const pg = await createTestPostgresDatabase();
    databases.push(pg);
    const { app, db } = await start({ PRESENCE_GRACE_SECONDS: '30', DATABASE_URL: pg.url });
    const alex = await connect(app, 'agent', 'available');
    await alex.close();
    await eventually(async () => graceDeadline(db, alex.userId));
    const claimed = await claimGrace(db, alex.userId);
    let ending: Promise<unknown> | undefined;
    let graceFree = false;
    // Another transaction holds the agent's row, as a tab's connect does before it cancels the grace period.
    await db.transaction().execute(async (connecting) => {
      const { pid } = (await sql<{ pid: number }>`select agent_id, pg_backend_pid() as pid from agent_presence where agent_id = ${alex.userId} for update`.execute(connecting)).rows[0];
      ending = app.app.get(PresenceKeeper).graceEnded(claimed).catch((err: unknown) => err);
      await waitingFor(db, pid);
      // While the end waits for the agent's row, the deadline must still be free (else: a deadlock with that connect).
      graceFree = await db
        .transaction()
        .execute(async (probe) => (await sql`select id from deadlines where id = ${claimed.id} for update nowait`.execute(probe), true))
        .catch((err: { code?: string }) => (err.code === '55P03' ? false : Promise.reject(err)));
      // What the connect then does: the agent connected, the grace period cancelled.
      await connecting.updateTable('agent_presence').set({ connected: 1 }).where('agent_id', '=', alex.userId).execute();
      await connecting.deleteFrom('deadlines').where('id', '=', claimed.id).execute();
    });
    expect(await ending).withContext('the end of the grace period').toBeUndefined();
    expect(graceFree).withContext('the grace deadline was locked while the agent\'s row was awaited').toBeTrue();
    expect(await presence(db, alex.userId)).toEqual({ state: 'available', connected: 1 });
  });

  it('keeps the call of a caller whose tab came back while the end of their grace period ran [postgres]', async () => {
    const pg = await createTestPostgresDatabase();
    databases.push(pg);
    const { app, db } = await start({ CALLER_GRACE_SECONDS: '30', DATABASE_URL: pg.url });
    // Waiting in line: the only agent on duty declined the call (not rung again within a ring timeout).
    const alex = await connect(app, 'agent', 'available');
    const sam = await connect(app, 'student');
    const { callId } = await sam.ok('requestCall', {});
    await alex.next('callOffered', (o) => o.callId === callId);
    await alex.ok('declineCall', { callId });
    await sam.close();
    await eventually(async () => graceDeadline(db, sam.userId));
    const claimed = await claimGrace(db, sam.userId);
    let ending: Promise<unknown> | undefined;
    // Another transaction holds the deadline's row (as the caller's connect does, cancelling it) while the end runs.
    await db.transaction().execute(async (connecting) => {
      const { pid } = (await sql<{ pid: number }>`select id, pg_backend_pid() as pid from deadlines where id = ${claimed.id} for update`.execute(connecting)).rows[0];
      ending = app.app.get(PresenceKeeper).graceEnded(claimed).catch((err: unknown) => err);
      // The end has abandoned the call in its transaction and waits for the deadline's row.
      await waitingFor(db, pid);
      await sql`delete from deadlines where id = ${claimed.id}`.execute(connecting);
    });
    expect(await ending).withContext('the end of the grace period').toBeUndefined();
    const call = await db.selectFrom('calls').select(['state', 'outcome']).where('id', '=', callId).executeTakeFirstOrThrow();
    expect(call).withContext('abandoned by a grace period the caller ended by coming back').toEqual({ state: 'queued', outcome: null });
  });

  it('abandons the call of a caller whose connection is lost while queued, after a short grace', async () => {
    const { app, db } = await start({ CALLER_GRACE_SECONDS: '1', SHORT_ABANDON_SECONDS: '0' });
    const alex = await connect(app, 'agent', 'available');
    const first = await connect(app, 'student');
    const second = await connect(app, 'student2');
    await first.ok('requestCall', {});
    await alex.next('callOffered');
    const { callId } = await second.ok('requestCall', {});
    await second.close();
    const row = await eventually(async () => {
      const call = await db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
      return call?.state === 'ended' && call;
    }, 4000);
    expect(row).toEqual(jasmine.objectContaining({ outcome: 'abandoned', end_reason: 'caller_left', ended_by: 'caller' }));
  });

  it('ends a call nobody answers in time as unanswered, and takes one callback request for it', async () => {
    const { app, db } = await start({ MAX_WAIT_SECONDS: '1' });
    const alex = await connect(app, 'agent', 'available');
    const first = await connect(app, 'student');
    const second = await connect(app, 'student2');
    const ringing = await first.ok('requestCall', {});
    await alex.next('callOffered');
    const queued = await second.ok('requestCall', {});
    expect(await second.next('callEnded', undefined, 4000)).toEqual({ callId: queued.callId, outcome: 'unanswered', endedBy: 'system', reason: 'max_wait' });
    expect((await first.next('callEnded', undefined, 4000)).outcome).toBe('unanswered');
    expect(await alex.next('offerWithdrawn')).toEqual({ callId: ringing.callId, reason: 'ended' });

    const { callbackId } = await second.ok('requestCallback', { callId: queued.callId, note: 'Any time after 3 pm' });
    expect(await second.send('requestCallback', { callId: queued.callId, note: 'again' })).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'conflict' }) }));
    expect(await first.send('requestCallback', { callId: queued.callId, note: '' })).toEqual(jasmine.objectContaining({ ok: false, error: jasmine.objectContaining({ code: 'forbidden' }) }));
    const stored = await db.selectFrom('callback_requests').selectAll().where('id', '=', callbackId).executeTakeFirstOrThrow();
    expect(stored).toEqual(jasmine.objectContaining({ call_id: queued.callId, student_id: second.userId, name: 'Kim Student', note: 'Any time after 3 pm', done_at: null }));
  });

  it('does not lose a ringing call when the server restarts: the deadline re-offers it', async () => {
    const dir = createTempDir();
    try {
      const env = { DATA_DIR: dir.path, RING_TIMEOUT_SECONDS: '2' };
      const first = await start(env);
      const alex = await connect(first.app, 'agent', 'available');
      const student = await connect(first.app, 'student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await apps.splice(0)[0].app.close();

      const app = await startCallApp(env, { seed: false });
      apps.push(app);
      const db = app.app.get<Kysely<Database>>(DATABASE);
      await connect(app, 'student');
      const blake = await connect(app, 'agent2', 'available');
      expect((await blake.next('callOffered', undefined, 5000)).callId).toBe(callId);
      const types = await db.selectFrom('call_events').select('type').where('call_id', '=', callId).orderBy('seq').execute();
      expect(types.map((t) => t.type)).toEqual(['queued', 'offered', 'missed', 'offered']);
    } finally {
      dir.remove();
    }
  });
});
