import { randomUUID } from 'node:crypto';
import { AGENT_STATES, CALL_STATES, canAgentMove, canCallMove, type AgentState, type AgentStateActor, type CallState } from '@switchboard/call-domain';
import type { AgentPresenceRow, CallRow, Database, DeadlineKind, DeadlineRow } from '../../database/schema';
import { ProblemException } from '../../errors/problem';
import { describeEachDialect, queryPlan } from '../../testing/each-dialect';
import { writesDuring } from '../../testing/socket-writes';
import { sqlDuring, statementsDuring } from '../../testing/statements-sent';
import { sql, type Kysely } from 'kysely';
import { CallLedger, Superseded, SUPERSEDED_TRIES, type LedgerTransaction } from './call-ledger';
import { Deadlines } from '../deadlines';
import { bucketOf, RollupChanges } from './call-rollups';
import type { LedgerEvent } from './ledger-events';
import { LedgerOutbox, OUTBOX_STALE_MS } from './ledger-outbox';

const ACTORS: readonly AgentStateActor[] = ['agent', 'supervisor', 'system'];

/** A user row, so calls and presence can point at it. */
async function addUser(db: Kysely<Database>, role: 'student' | 'agent'): Promise<string> {
  const id = randomUUID();
  await db.insertInto('users').values({ id, username: `u-${id}`, display_name: `User ${id.slice(0, 4)}`, role, password_hash: 'x', created_at: new Date().toISOString() }).execute();
  return id;
}

/** A stored call in `state` (columns as a real call in that state would have them). */
async function addCall(db: Kysely<Database>, state: CallState, callerId: string): Promise<CallRow> {
  const row: CallRow = {
    id: randomUUID(), state, outcome: state === 'ended' ? 'abandoned' : null, caller_id: callerId, caller_name: 'Sam', agent_id: null, agent_name: null,
    ringing_agent_id: null, rings_out_at: null, queued_at: new Date().toISOString(), answered_at: null, connected_at: null,
    ended_at: state === 'ended' ? new Date().toISOString() : null, ended_by: null, end_reason: null, queue_ms: null, talk_ms: null, wrap_up_ms: null,
    disposition: null, notes: null, negotiation_id: null, direction: 'inbound', callback_id: null, poor_quality: 0, sort_pending: 0,
  };
  await db.insertInto('calls').values(row).execute();
  return row;
}

async function addAgent(db: Kysely<Database>, state: AgentState, connected = 1): Promise<string> {
  const id = await addUser(db, 'agent');
  const now = new Date().toISOString();
  await db.insertInto('agent_presence').values({ agent_id: id, display_name: 'Alex', state, since: now, connected, call_id: null, idle_since: now, wrap_up_ends_at: null }).execute();
  return id;
}

/** A call ringing at a new agent: both rows as a ring leaves them. */
async function addRingingCall(db: Kysely<Database>, callerId: string): Promise<{ call: CallRow; agentId: string }> {
  const agentId = await addAgent(db, 'ringing');
  const call = await addCall(db, 'ringing', callerId);
  await db.updateTable('calls').set({ ringing_agent_id: agentId }).where('id', '=', call.id).execute();
  await db.updateTable('agent_presence').set({ call_id: call.id }).where('agent_id', '=', agentId).execute();
  return { call: { ...call, ringing_agent_id: agentId }, agentId };
}

/**
 * The unit `make` builds, built a second time after the first ran: what a count of the
 * statements or socket writes a unit sends measures (the first prepares its statements).
 */
async function preparedUnit(make: () => Promise<() => Promise<unknown>>): Promise<() => Promise<unknown>> {
  await (await make())();
  return make();
}

describeEachDialect('CallLedger', (database, dialectOfSuite) => {
  let outbox: LedgerOutbox;
  let ledger: CallLedger;
  let delivered: LedgerEvent[][];
  let db: Kysely<Database>;
  let callerId: string;

  beforeEach(async () => {
    db = database().db;
    outbox = new LedgerOutbox(db);
    delivered = [];
    outbox.react((events) => void delivered.push([...events]));
    ledger = new CallLedger(db, outbox);
    callerId = await addUser(db, 'student');
  });

  afterEach(async () => {
    await outbox.settled();
    for (const table of ['call_events', 'call_signals', 'callback_requests', 'calls', 'agent_state_changes', 'agent_presence', 'deadlines', 'ledger_outbox', 'call_rollups', 'call_wait_rollups', 'call_missed_rollups'] as const) {
      await db.deleteFrom(table).execute();
    }
  });

  it('ends a call only with its outcome, and gives none to a call in progress (nothing stored)', async () => {
    for (const [from, to, patch] of [
      ['connected', 'ended', {}],
      ['ringing', 'ended', { outcome: null }],
      ['queued', 'ringing', { outcome: 'answered' }],
    ] as const) {
      const call = await addCall(db, from, await addUser(db, 'student'));
      await expectAsync(ledger.run((tx) => tx.moveCall(call, to, patch))).withContext(`${from} → ${to}`).toBeRejectedWithError(/gets its outcome in the move that ends it/);
      // Nor by a change that is not a move.
      await expectAsync(ledger.run((tx) => tx.updateCall(call, { outcome: 'answered' }))).withContext(`${from} given an outcome`).toBeRejectedWithError(/gets its outcome in the move that ends it/);
      expect(await db.selectFrom('calls').select(['state', 'outcome']).where('id', '=', call.id).executeTakeFirstOrThrow()).toEqual({ state: from, outcome: null });
    }
    const ended = await addCall(db, 'ended', await addUser(db, 'student'));
    await expectAsync(ledger.run((tx) => tx.updateCall(ended, { outcome: null }))).toBeRejectedWithError(/gets its outcome in the move that ends it/);
    // A column left undefined is not written: the outcome read stays.
    await ledger.run((tx) => tx.updateCall(ended, { outcome: undefined, notes: 'kept' }));
    expect(await db.selectFrom('calls').select(['outcome', 'notes']).where('id', '=', ended.id).executeTakeFirstOrThrow()).toEqual({ outcome: 'abandoned', notes: 'kept' });
    const queued = { ...(await addCall(db, 'queued', await addUser(db, 'student'))), id: 'not-stored', outcome: 'answered' as const };
    await expectAsync(ledger.run((tx) => tx.insertCall(queued))).toBeRejectedWithError(/starts without an outcome/);
    expect(await db.selectFrom('calls').select('id').where('id', '=', 'not-stored').execute()).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('leaves a call it ends to be filed into the history’s sort indexes later on SQLite (migration 0029), never on PostgreSQL', async () => {
    const call = await addCall(db, 'connected', callerId);
    const ended = await ledger.run((tx) => tx.moveCall(call, 'ended', { outcome: 'answered', ended_at: tx.nowIso }));
    const pending = dialectOfSuite === 'sqlite' ? 1 : 0;
    expect(ended.sort_pending).toBe(pending);
    expect(await db.selectFrom('calls').select('sort_pending').where('id', '=', call.id).executeTakeFirstOrThrow()).toEqual({ sort_pending: pending });
    // A later change of an ended call (its wrap-up) leaves the flag as it is.
    await db.updateTable('calls').set({ sort_pending: 0 }).where('id', '=', call.id).execute();
    await ledger.run((tx) => tx.updateCall({ ...ended, sort_pending: 0 }, { notes: 'Reset the password' }));
    expect(await db.selectFrom('calls').select('sort_pending').where('id', '=', call.id).executeTakeFirstOrThrow()).toEqual({ sort_pending: 0 });
  });

  describe('call moves: the domain state machine, for real', () => {
    for (const from of CALL_STATES) {
      for (const to of CALL_STATES) {
        const allowed = canCallMove(from, to);
        it(`${allowed ? 'makes' : 'refuses'} ${from} → ${to}`, async () => {
          const call = await addCall(db, from, callerId);
          const attempt = ledger.run(async (tx) => {
            // A call gets its outcome as it ends, and only then.
            await tx.moveCall(call, to, to === 'ended' ? { outcome: 'abandoned' } : {});
            tx.publish({ type: 'callConnected', callId: call.id });
          });
          if (allowed) {
            await attempt;
            await outbox.settled();
            expect(delivered).toEqual([[{ type: 'callConnected', callId: call.id }]]);
          } else {
            await expectAsync(attempt).toBeRejectedWith(jasmine.objectContaining({ code: 'invalid_state' }));
            expect(delivered).toEqual([]);
          }
          const stored = await db.selectFrom('calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow();
          expect(stored.state).toBe(allowed ? to : from);
        });
      }
    }
  });

  describe('agent moves: the domain state machine, for real', () => {
    // Every from → to for one actor per spec keeps the suite short; every actor is covered.
    for (const by of ACTORS) {
      it(`makes exactly the moves the agent state machine allows the ${by}, each recorded and published`, async () => {
        for (const from of AGENT_STATES) {
          for (const to of AGENT_STATES) {
            if (from === to) continue;
            const agentId = await addAgent(db, from);
            const moved = await ledger.run((tx) => tx.moveAgent(agentId, { to, by, reason: 'spec' }));
            const stored = await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agentId).executeTakeFirstOrThrow();
            const changes = await db.selectFrom('agent_state_changes').select(['from_state', 'to_state']).where('agent_id', '=', agentId).execute();
            const allowed = canAgentMove(from, to, by);
            expect(moved !== null).withContext(`${from} → ${to} by ${by}`).toBe(allowed);
            expect(stored.state).withContext(`${from} → ${to} by ${by}`).toBe(allowed ? to : from);
            expect(changes).withContext(`${from} → ${to} by ${by}`).toEqual(allowed ? [{ from_state: from, to_state: to }] : []);
          }
        }
        await outbox.settled();
        const published = delivered.flat().filter((e) => e.type === 'agentStatusChanged');
        const expected = AGENT_STATES.flatMap((from) => AGENT_STATES.filter((to) => to !== from && canAgentMove(from, to, by)));
        expect(published.length).toBe(expected.length);
      });
    }
  });

  it('commits a call move, the agent move, the deadlines, the timeline and the outbox together, or none of them', async () => {
    const call = await addCall(db, 'ringing', callerId);
    const agentId = await addAgent(db, 'ringing');
    await db.updateTable('agent_presence').set({ call_id: call.id }).where('agent_id', '=', agentId).execute();
    const failing = ledger.run(async (tx) => {
      await tx.moveCall(call, 'accepted', { agent_id: agentId });
      await tx.requireAgentMove(agentId, { to: 'on_call', by: 'agent', reason: 'accepted', callId: call.id });
      await tx.deadlines.schedule('media_timeout', call.id, new Date());
      await tx.addEvent(call.id, 'accepted');
      tx.publish({ type: 'callConnected', callId: call.id });
      throw new Error('the node died here');
    });
    await expectAsync(failing).toBeRejectedWithError('the node died here');
    expect((await db.selectFrom('calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow()).state).toBe('ringing');
    expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agentId).executeTakeFirstOrThrow()).state).toBe('ringing');
    expect(await db.selectFrom('deadlines').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('call_events').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('agent_state_changes').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('ledger_outbox').selectAll().execute()).toEqual([]);
    expect(delivered).toEqual([]);
  });

  it('runs a superseded transaction again on what is there now', async () => {
    const call = await addCall(db, 'queued', callerId);
    let runs = 0;
    const result = await ledger.run(async (tx) => {
      runs++;
      // The first run decides from a stale read (the call as another node left it a moment ago).
      const seen = runs === 1 ? { ...call, state: 'ringing' as const } : await tx.call(call.id);
      if (!seen) throw new Error('no call');
      return (await tx.moveCall(seen, 'ended', { outcome: 'abandoned' })).state;
    });
    expect(runs).toBe(2);
    expect(result).toBe('ended');
    expect((await db.selectFrom('calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow()).state).toBe('ended');
  });

  describe('a due deadline\'s unit (runDeadline)', () => {
    /** The call's `kind` deadline, due now and claimed by `node` (as `Deadlines.claimDue` leaves it). */
    async function claimedDeadline(kind: DeadlineKind, subjectId: string, node = 'this-node'): Promise<DeadlineRow> {
      const now = new Date().toISOString();
      const row: DeadlineRow = { id: randomUUID(), kind, subject_id: subjectId, due_at: now, claimed_by: node, claimed_at: now };
      await db.insertInto('deadlines').values(row).execute();
      return row;
    }
    const deadlinesOf = async (subjectId: string) => (await db.selectFrom('deadlines').select('kind').where('subject_id', '=', subjectId).orderBy('kind').execute()).map((d) => d.kind);

    it('deletes the deadline with what its handler did, the handler\'s own cancels leaving it to that deletion', async () => {
      const call = await addCall(db, 'queued', callerId);
      const maxWait = await claimedDeadline('max_wait', call.id);
      await claimedDeadline('ring_timeout', call.id, 'another-node');
      const ended = await ledger.runDeadline(maxWait, async (tx) => {
        // As a call's end does: every deadline of the call, its max wait's own among them.
        await tx.deadlines.cancel(call.id, 'ring_timeout', 'max_wait');
        return (await tx.moveCall(call, 'ended', { outcome: 'unanswered' })).state;
      });
      expect(ended).toBe('ended');
      expect(await deadlinesOf(call.id)).toEqual([]);
      expect((await db.selectFrom('calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow()).state).toBe('ended');
    });

    const since: Record<'cancelled' | 'moved' | 'taken over', { change: (row: DeadlineRow) => Promise<unknown>; left: (row: DeadlineRow) => unknown[] }> = {
      cancelled: { change: (row) => new Deadlines(db).cancel(row.subject_id, row.kind), left: () => [] },
      moved: { change: (row) => new Deadlines(db).schedule(row.kind, row.subject_id, new Date(Date.parse(row.due_at) + 30_000)), left: (row) => [{ id: row.id, claimed_by: null }] },
      'taken over': {
        change: (row) => db.updateTable('deadlines').set({ claimed_by: 'another-node', claimed_at: new Date(Date.now() + 1000).toISOString() }).where('id', '=', row.id).execute(),
        left: (row) => [{ id: row.id, claimed_by: 'another-node' }],
      },
    };
    for (const [how, { change, left }] of Object.entries(since)) {
      it(`runs nothing for a deadline ${how} since its claim, and leaves it as it is`, async () => {
        const call = await addCall(db, 'accepted', callerId);
        const claimed = await claimedDeadline('media_timeout', call.id);
        await change(claimed);
        let runs = 0;
        const result = await ledger.runDeadline(claimed, async () => ++runs);
        expect(result).toBeUndefined();
        expect(runs).toBe(0);
        expect(await db.selectFrom('deadlines').select(['id', 'claimed_by']).where('subject_id', '=', call.id).execute()).toEqual(left(claimed) as never);
      });
    }

    it('refuses a handler that sets its own deadline again (its claim would be gone at every try), storing nothing', async () => {
      const agentId = await addAgent(db, 'wrap_up');
      const wrapUpEnd = await claimedDeadline('wrap_up_end', agentId);
      const attempt = ledger.runDeadline(wrapUpEnd, async (tx) => {
        await tx.requireAgentMove(agentId, { to: 'available', by: 'system', reason: 'wrap-up time ran out' });
        await tx.deadlines.schedule('wrap_up_end', agentId, new Date(Date.now() + 30_000));
      });
      await expectAsync(attempt).toBeRejectedWithError(/being handled/);
      expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agentId).executeTakeFirstOrThrow()).state).toBe('wrap_up');
      expect(await db.selectFrom('deadlines').select(['id', 'claimed_by']).where('subject_id', '=', agentId).execute()).toEqual([{ id: wrapUpEnd.id, claimed_by: 'this-node' }]);
    });

    if (dialectOfSuite === 'postgres') {
      it('undoes what the handler did when another transaction moves its deadline before the unit commits, and runs nothing the second time (PostgreSQL)', async () => {
        const agentId = await addAgent(db, 'wrap_up');
        const wrapUpEnd = await claimedDeadline('wrap_up_end', agentId);
        const later = new Date(Date.now() + 30_000);
        let runs = 0;
        const result = await ledger.runDeadline(wrapUpEnd, async (tx) => {
          runs++;
          await tx.requireAgentMove(agentId, { to: 'available', by: 'system', reason: 'wrap-up time ran out' });
          // Meanwhile another transaction sets the deadline again (e.g. another node's), and commits.
          await new Deadlines(db).schedule('wrap_up_end', agentId, later);
          return 'moved to available';
        });
        expect(result).toBeUndefined();
        expect(runs).toBe(1);
        expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agentId).executeTakeFirstOrThrow()).state).toBe('wrap_up');
        expect(await db.selectFrom('deadlines').select(['kind', 'due_at', 'claimed_by']).where('subject_id', '=', agentId).execute()).withContext('the deadline as the other transaction set it').toEqual([
          { kind: 'wrap_up_end', due_at: later.toISOString(), claimed_by: null },
        ]);
        expect(await db.selectFrom('agent_state_changes').selectAll().execute()).toEqual([]);
        expect(delivered).toEqual([]);
      });
    }
  });

  it('fails with conflict when a transaction stays superseded, storing and publishing nothing', async () => {
    const call = await addCall(db, 'queued', callerId);
    const stale = { ...call, state: 'ringing' as const };
    let runs = 0;
    const attempt = ledger.run(async (tx) => {
      runs++;
      await tx.addEvent(call.id, 'offered');
      return tx.moveCall(stale, 'accepted', {});
    });
    await expectAsync(attempt).toBeRejectedWith(jasmine.objectContaining({ code: 'conflict' }));
    expect(runs).toBe(SUPERSEDED_TRIES);
    await expectAsync(ledger.run(() => Promise.reject(new Superseded('always')))).toBeRejectedWith(jasmine.objectContaining({ code: 'conflict' }));
    expect(await db.selectFrom('call_events').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('ledger_outbox').selectAll().execute()).toEqual([]);
    expect(delivered).toEqual([]);
  });

  if (dialectOfSuite === 'postgres') {
    it('runs again the transaction PostgreSQL rolled back to break a deadlock: both commit (PostgreSQL)', async () => {
      const [first, second] = [await addAgent(db, 'available'), await addAgent(db, 'available')];
      const runs = { forward: 0, backward: 0 };
      let holding = 0;
      let bothHoldOne!: () => void;
      // Bounded: if one first run fails before taking its row, the other does not wait for ever.
      const eachHoldsOne = new Promise<void>((resolve, reject) => {
        bothHoldOne = resolve;
        setTimeout(() => reject(new Error('the other unit never took its first row')), 5_000);
      });
      // Two units lock the same two rows in opposite orders, each waiting (on its first run)
      // until the other holds its first row: PostgreSQL finds the deadlock and fails one (40P01).
      const lockBoth = (way: keyof typeof runs, rows: readonly string[]) =>
        ledger.run(async (tx) => {
          runs[way]++;
          const lock = (agentId: string) => tx.db.updateTable('agent_presence').set({ display_name: way }).where('agent_id', '=', agentId).execute();
          await lock(rows[0]);
          if (runs[way] === 1 && ++holding === 2) bothHoldOne();
          if (runs[way] === 1) await eachHoldsOne;
          await lock(rows[1]);
          tx.publish({ type: 'callConnected', callId: way });
          return way;
        });
      const results = await Promise.allSettled([lockBoth('forward', [first, second]), lockBoth('backward', [second, first])]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      // At least one ran again (three runs). Four were seen once (cause not found: a second
      // rollback by PostgreSQL); what must hold is that both commit once, events published once.
      expect(runs.forward + runs.backward).withContext(`the one PostgreSQL rolled back ran again: ${JSON.stringify(runs)}`).toBeGreaterThanOrEqual(3);
      const names = (await db.selectFrom('agent_presence').select('display_name').where('agent_id', 'in', [first, second]).execute()).map((r) => r.display_name);
      expect(names[0]).withContext('the unit committed last wrote both rows').toBe(names[1]);
      expect(runs[names[0] as keyof typeof runs]).withContext('the unit committed last is one that ran again').toBeGreaterThan(1);
      await outbox.settled();
      expect(delivered.flat().map((e) => (e.type === 'callConnected' ? e.callId : e.type)).sort()).withContext('each published once').toEqual(['backward', 'forward']);
    });
  }

  /** The agents' statuses published so far, once delivered, as `from → state, connected …`. */
  const agentStatusesDelivered = async () => {
    await outbox.settled();
    return delivered.flat().flatMap((e) => (e.type === 'agentStatusChanged' ? [`${e.from} → ${e.status.state}, connected ${e.status.connected}`] : []));
  };

  /**
   * A unit that reads the agent, then lets `between` commit in a transaction of its own (on
   * PostgreSQL another node's, in the meantime), then does `then` on what it read.
   */
  const betweenReadAndWrite = (agentId: string, between: (other: LedgerTransaction) => Promise<unknown>, then: (tx: LedgerTransaction, read: AgentPresenceRow) => Promise<void>) =>
    ledger.run(async (tx) => {
      const read = await tx.agent(agentId);
      if (!read) throw new Error('no agent');
      await ledger.run(between);
      await then(tx, read);
    });

  if (dialectOfSuite === 'postgres') {
    it('publishes a connection change with the agent as the update left them, not as read before another transaction moved them (PostgreSQL)', async () => {
      const agentId = await addAgent(db, 'away', 0);
      // Their tab chooses Available, committed between this transaction's read and its update.
      await betweenReadAndWrite(
        agentId,
        (other) => other.moveAgent(agentId, { to: 'available', by: 'agent', reason: 'chose Available', byUserId: agentId }),
        async (tx, read) => expect((await tx.setAgentConnected(read, true))?.state).toBe('available'),
      );
      const statuses = await agentStatusesDelivered();
      // Routing runs on an Available, connected agent's event: the second one.
      expect(statuses).toEqual(['away → available, connected false', 'available → available, connected true']);
    });

    it('makes a move that does not depend on the connection on the row as it is, when a tab connected between the read and the update (PostgreSQL)', async () => {
      const agentId = await addAgent(db, 'away', 0);
      // Their new tab is marked connected, committed between this transaction's read and its move.
      await betweenReadAndWrite(
        agentId,
        async (other) => other.setAgentConnected((await other.agent(agentId)) as AgentPresenceRow, true),
        async (tx) => expect((await tx.moveAgent(agentId, { to: 'available', by: 'agent', reason: 'chose Available', byUserId: agentId }))?.connected).withContext('the row the move left').toBe(1),
      );
      const statuses = await agentStatusesDelivered();
      // Routing runs on an Available, connected agent's event: the move's.
      expect(statuses).toEqual(['away → away, connected true', 'away → available, connected true']);
      expect((await db.selectFrom('agent_state_changes').select(['from_state', 'to_state']).where('agent_id', '=', agentId).execute()).map((c) => `${c.from_state} → ${c.to_state}`)).toEqual(['away → available']);
    });

    it('runs a unit again when its required move finds the agent\'s connection changed since the read, and publishes the connection as it is (PostgreSQL)', async () => {
      const agentId = await addAgent(db, 'available', 0);
      let runs = 0;
      await ledger.run(async (tx) => {
        runs++;
        const read = await tx.agent(agentId);
        if (!read) throw new Error('no agent');
        if (runs === 1) await ledger.run(async (other) => other.setAgentConnected(read, true));
        await tx.requireAgentMove(agentId, { to: 'away', by: 'agent', reason: 'chose Away', byUserId: agentId });
      });
      expect(runs).toBe(2);
      expect(await agentStatusesDelivered()).toEqual(['available → available, connected true', 'available → away, connected true']);
    });

    it('runs a unit again when a move required on the agent\'s absence finds a tab connected since the read (PostgreSQL)', async () => {
      const agentId = await addAgent(db, 'available', 0);
      let runs = 0;
      const outcome = await ledger.run(async (tx) => {
        runs++;
        const read = await tx.agent(agentId);
        if (!read || read.connected === 1) return 'back';
        if (runs === 1) await ledger.run(async (other) => void (await other.setAgentConnected(read, true)));
        await tx.requireAgentMove(agentId, { to: 'offline', by: 'system', reason: 'connection lost', requireDisconnected: true });
        return 'signed out';
      });
      expect([outcome, runs]).toEqual(['back', 2]);
      const row = await db.selectFrom('agent_presence').select(['state', 'connected']).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
      expect([row.state, Number(row.connected)]).toEqual(['available', 1]);
    });
  }

  it('keeps units run at the same time apart: one that fails leaves nothing, one superseded runs again, the others are stored', async () => {
    const [kept, failing, raced] = [await addCall(db, 'queued', callerId), await addCall(db, 'queued', await addUser(db, 'student')), await addCall(db, 'queued', await addUser(db, 'student'))];
    const ring = (call: CallRow) => async (tx: Parameters<Parameters<CallLedger['run']>[0]>[0]) => {
      const now = await tx.call(call.id);
      if (!now) throw new Error('no call');
      await tx.moveCall(now, 'ringing', {});
      await tx.addEvent(call.id, 'offered');
      tx.publish({ type: 'callConnected', callId: call.id });
    };
    let racedRuns = 0;
    // Started in one tick: on SQLite they share a transaction, each in its own savepoint.
    const results = await Promise.allSettled([
      ledger.run(ring(kept)),
      ledger.run(async (tx) => {
        await ring(failing)(tx);
        throw new Error('the work failed after its writes');
      }),
      ledger.run(async (tx) => {
        racedRuns++;
        await ring(raced)(tx);
        if (racedRuns === 1) throw new Superseded('another node moved it');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(racedRuns).toBe(2);
    const states = await db.selectFrom('calls').select(['id', 'state']).execute();
    expect(Object.fromEntries(states.map((c) => [c.id, c.state]))).toEqual({ [kept.id]: 'ringing', [failing.id]: 'queued', [raced.id]: 'ringing' });
    const timeline = await db.selectFrom('call_events').select(['call_id', 'seq']).execute();
    expect(timeline.map((e) => [e.call_id, e.seq]).sort()).toEqual([[kept.id, 1], [raced.id, 1]].sort());
    await outbox.settled();
    expect(delivered.flat().map((e) => (e.type === 'callConnected' ? e.callId : e.type)).sort()).toEqual([kept.id, raced.id].sort());
  });

  it('fails only the unit whose error ends the whole transaction: the units grouped with it are stored', async () => {
    const [first, breaking, last] = [await addCall(db, 'queued', callerId), await addCall(db, 'queued', await addUser(db, 'student')), await addCall(db, 'queued', await addUser(db, 'student'))];
    // An error that ends the transaction, not just its statement (on SQLite: a full disk, an I/O error).
    if (database().dialect === 'sqlite') {
      await sql`create trigger end_transaction before insert on call_events when new.type = 'accepted' begin select raise(rollback, 'disk I/O error'); end`.execute(db);
    } else {
      await sql`create function end_transaction() returns trigger language plpgsql as $$ begin raise exception 'disk I/O error'; end $$`.execute(db);
      await sql`create trigger end_transaction before insert on call_events for each row when (new.type = 'accepted') execute function end_transaction()`.execute(db);
    }
    try {
      const ring = (call: CallRow, event: 'offered' | 'accepted') => (tx: Parameters<Parameters<CallLedger['run']>[0]>[0]) =>
        tx.call(call.id).then(async (now) => {
          if (!now) throw new Error('no call');
          await tx.moveCall(now, 'ringing', {});
          await tx.addEvent(call.id, event);
          tx.publish({ type: 'callConnected', callId: call.id });
        });
      // Started in one tick: on SQLite they share a transaction, which the second one ends.
      const results = await Promise.allSettled([ledger.run(ring(first, 'offered')), ledger.run(ring(breaking, 'accepted')), ledger.run(ring(last, 'offered'))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const states = await db.selectFrom('calls').select(['id', 'state']).execute();
      expect(Object.fromEntries(states.map((c) => [c.id, c.state]))).toEqual({ [first.id]: 'ringing', [breaking.id]: 'queued', [last.id]: 'ringing' });
      await outbox.settled();
      expect(delivered.flat().map((e) => (e.type === 'callConnected' ? e.callId : e.type)).sort()).toEqual([first.id, last.id].sort());
    } finally {
      await sql`drop trigger end_transaction${sql.raw(database().dialect === 'sqlite' ? '' : ' on call_events')}`.execute(db);
      if (database().dialect === 'postgres') await sql`drop function end_transaction()`.execute(db);
    }
  });

  it('delivers each commit\'s events once, in order, and forgets them', async () => {
    const call = await addCall(db, 'queued', callerId);
    await ledger.run(async (tx) => {
      tx.publish({ type: 'callQueued', callId: call.id, callerId });
      tx.publish({ type: 'callRequeued', callId: call.id, callerId, declined: false });
    });
    await ledger.run(async (tx) => tx.publish({ type: 'callConnected', callId: call.id }));
    await outbox.settled();
    expect(delivered.map((batch) => batch.map((e) => e.type))).toEqual([['callQueued', 'callRequeued'], ['callConnected']]);
    expect(await db.selectFrom('ledger_outbox').selectAll().execute()).toEqual([]);
  });

  it('replays the units of a grouped commit in the order they committed when their node died before delivering them', async () => {
    const calls = [];
    for (let i = 0; i < 5; i++) calls.push(await addCall(db, 'queued', await addUser(db, 'student')));
    // A node that dies right after its commits: nothing of them is delivered by it.
    class DyingOutbox extends LedgerOutbox {
      override deliverInTurns(): { deliver(): void; end(): void } {
        return { deliver: () => undefined, end: () => undefined };
      }
    }
    const dying = new CallLedger(db, new DyingOutbox(db));
    // Started in one tick: on SQLite they are committed together, in this order.
    await Promise.all(calls.map((call) => dying.run(async (tx) => tx.publish({ type: 'callConnected', callId: call.id }))));
    const rows = await db.selectFrom('ledger_outbox').select('id').execute();
    if (database().dialect === 'sqlite') expect(rows.length).withContext('one row for the grouped commit').toBe(1);
    else expect(rows.length).withContext('a row per transaction').toBe(calls.length);

    const stale = new Date(Date.now() - OUTBOX_STALE_MS - 1000).toISOString();
    await db.updateTable('ledger_outbox').set({ claimed_at: stale, created_at: stale }).execute();
    expect(await outbox.redeliverStale()).toBe(rows.length);
    const replayed = delivered.flat().map((e) => (e.type === 'callConnected' ? e.callId : e.type));
    // PostgreSQL runs the units as transactions of their own, in parallel: no order among them.
    if (database().dialect === 'sqlite') expect(replayed).toEqual(calls.map((c) => c.id));
    else expect([...replayed].sort()).toEqual(calls.map((c) => c.id).sort());
    expect(await db.selectFrom('ledger_outbox').selectAll().execute()).toEqual([]);
  });

  it('replays rows of one millisecond left by a dead node in the order they were committed (SQLite)', async () => {
    const calls = [await addCall(db, 'queued', callerId), await addCall(db, 'queued', await addUser(db, 'student'))];
    const died = new Date(Date.now() - OUTBOX_STALE_MS - 1000).toISOString();
    // Committed first, but with the greater id: an order by id would replay it second.
    const ids = ['ffffffff-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000000'];
    for (const [i, call] of calls.entries()) {
      await db.insertInto('ledger_outbox').values({ id: ids[i], created_at: died, events: JSON.stringify([{ type: 'callConnected', callId: call.id }]), claimed_by: 'dead-node', claimed_at: died }).execute();
    }
    expect(await outbox.redeliverStale()).toBe(2);
    const replayed = delivered.flat().map((e) => (e.type === 'callConnected' ? e.callId : e.type));
    if (database().dialect === 'sqlite') expect(replayed).toEqual(calls.map((c) => c.id));
    else expect([...replayed].sort()).toEqual(calls.map((c) => c.id).sort());
  });

  it('delivers, from another node, the events of a node that died between commit and delivery', async () => {
    const call = await addCall(db, 'queued', callerId);
    const died = new Date(Date.now() - OUTBOX_STALE_MS - 1000).toISOString();
    const events: LedgerEvent[] = [{ type: 'callQueued', callId: call.id, callerId }];
    await db.insertInto('ledger_outbox').values({ id: randomUUID(), created_at: died, events: JSON.stringify(events), claimed_by: 'dead-node', claimed_at: died }).execute();
    const fresh = new Date().toISOString();
    await db.insertInto('ledger_outbox').values({ id: randomUUID(), created_at: fresh, events: JSON.stringify([{ type: 'callConnected', callId: call.id }]), claimed_by: 'live-node', claimed_at: fresh }).execute();

    const otherNode = new LedgerOutbox(db);
    const seen: LedgerEvent[][] = [];
    otherNode.react((batch) => void seen.push([...batch]));
    const [a, b] = await Promise.all([otherNode.redeliverStale(), outbox.redeliverStale()]);
    expect(a + b).withContext('claimed by exactly one node').toBe(1);
    expect([...seen, ...delivered]).toEqual([events]);
    const left = await db.selectFrom('ledger_outbox').select('claimed_by').execute();
    expect(left).withContext('a live node\'s fresh row is left to it').toEqual([{ claimed_by: 'live-node' }]);
  });

  it('numbers a call\'s timeline in order across concurrent transactions', async () => {
    const call = await addCall(db, 'queued', callerId);
    await Promise.all(Array.from({ length: 8 }, () => ledger.run((tx) => tx.addEvent(call.id, 'offered'))));
    const seqs = await db.selectFrom('call_events').select('seq').where('call_id', '=', call.id).orderBy('seq').execute();
    expect(seqs.map((s) => Number(s.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  describe('roll-ups', () => {
    /** A connected inbound call queued in the current quarter hour, and its roll-up row already there (another call ended in it). */
    async function connectedCallWithItsRollupRow(): Promise<{ call: CallRow; bucket: string }> {
      const call = { ...(await addCall(db, 'connected', callerId)), queue_ms: 4000 };
      await db.updateTable('calls').set({ queue_ms: 4000 }).where('id', '=', call.id).execute();
      const bucket = bucketOf(Date.parse(call.queued_at));
      await db.insertInto('call_rollups').values({ bucket_start: bucket, outcome: 'answered', calls: 1, queue_ms: 1000, handled: 1, handle_ms: 5000 }).execute();
      return { call, bucket };
    }

    if (dialectOfSuite === 'postgres') {
      it('writes the roll-ups of the call it ends in the statement that stores its events, the last before the commit (PostgreSQL)', async () => {
        const { call, bucket } = await connectedCallWithItsRollupRow();
        const texts = await sqlDuring(() =>
          ledger.run(async (tx) => {
            await tx.addEvent(call.id, 'missed', { id: callerId, name: 'Sam' });
            await tx.moveCall(call, 'ended', { outcome: 'answered', ended_at: tx.nowIso, talk_ms: 60_000 });
            tx.publish({ type: 'callConnected', callId: call.id });
          }),
        );
        const last = texts.filter((text) => /rollups|ledger_outbox/.test(text));
        expect(last.length).withContext(last.join('\n')).toBe(1);
        for (const table of ['call_rollups', 'call_wait_rollups', 'call_missed_rollups', 'ledger_outbox']) expect(last[0]).withContext(table).toContain(`"${table}"`);
        expect(texts.slice(-2)).toEqual([last[0], 'commit']);
        const row = await db.selectFrom('call_rollups').selectAll().where('bucket_start', '=', bucket).executeTakeFirstOrThrow();
        expect([row.calls, row.queue_ms, row.handled, row.handle_ms].map(Number)).toEqual([2, 5000, 2, 65_000]);
        expect((await db.selectFrom('call_missed_rollups').select(['agent_id', 'missed']).where('bucket_start', '=', bucket).execute()).map((r) => [r.agent_id, Number(r.missed)])).toEqual([[callerId, 1]]);
        await outbox.settled();
        expect(delivered).toEqual([[{ type: 'callConnected', callId: call.id }]]);
      });

      it('deletes the outbox rows delivered before in that same statement, beside the roll-ups (PostgreSQL)', async () => {
        // Delivered rows wait for the next unit as long as it takes here.
        outbox.deleteInTransactions(60_000);
        const { call, bucket } = await connectedCallWithItsRollupRow();
        await ledger.run(async (tx) => tx.publish({ type: 'callConnected', callId: call.id }));
        const [waiting] = await db.selectFrom('ledger_outbox').select('id').execute();
        const texts = await sqlDuring(() =>
          ledger.run(async (tx) => {
            await tx.moveCall(call, 'ended', { outcome: 'answered', ended_at: tx.nowIso, talk_ms: 60_000 });
            tx.publish({ type: 'callRequeued', callId: call.id, callerId, declined: false });
          }),
        );
        const last = texts.filter((text) => /rollups|ledger_outbox/.test(text));
        expect(last.length).withContext(last.join('\n')).toBe(1);
        expect(last[0]).toMatch(/delete from "ledger_outbox"/);
        expect(texts.slice(-2)).toEqual([last[0], 'commit']);
        const stored = await db.selectFrom('ledger_outbox').select(['id', 'events']).execute();
        expect(stored.map((r) => r.id)).withContext('the delivered row is gone, the new one kept').not.toContain(waiting.id);
        expect(stored.map((r) => (JSON.parse(r.events) as LedgerEvent[])[0].type)).toEqual(['callRequeued']);
        const row = await db.selectFrom('call_rollups').selectAll().where('bucket_start', '=', bucket).executeTakeFirstOrThrow();
        expect([row.calls, row.queue_ms, row.handled, row.handle_ms].map(Number)).toEqual([2, 5000, 2, 65_000]);
        await outbox.settled();
        expect(delivered.map((events) => events[0].type)).toEqual(['callConnected', 'callRequeued']);
      });

      it('leaves the shared roll-up row unlocked until the end of the transaction that ends a call (PostgreSQL)', async () => {
        const { call, bucket } = await connectedCallWithItsRollupRow();
        let probe: unknown = 'not run';
        await ledger.run(async (tx) => {
          await tx.moveCall(call, 'ended', { outcome: 'answered', ended_at: tx.nowIso, talk_ms: 60_000 });
          // Another transaction (another node's ending of a call in the same quarter hour) needs
          // the same row: it must not wait for the rest of this one.
          probe = await sql`select calls from call_rollups where bucket_start = ${bucket} and outcome = 'answered' for update nowait`.execute(db).then(
            () => 'free',
            (err: { code?: string }) => err.code,
          );
          await tx.addEvent(call.id, 'ended');
        });
        expect(probe).withContext('55P03: the row was locked').toBe('free');
        const row = await db.selectFrom('call_rollups').selectAll().where('bucket_start', '=', bucket).executeTakeFirstOrThrow();
        expect([row.calls, row.queue_ms, row.handled, row.handle_ms].map(Number)).toEqual([2, 5000, 2, 65_000]);
      });
    }

    it('counts the missed offers of every call one transaction ends, per agent (one statement per quarter hour)', async () => {
      const calls = [await addCall(db, 'queued', callerId), await addCall(db, 'queued', await addUser(db, 'student'))];
      const [alex, blake] = [{ id: await addUser(db, 'agent'), name: 'Alex' }, { id: await addUser(db, 'agent'), name: 'Blake' }];
      // The first call rang out at Alex twice and at Blake; the second at Blake, then Alex.
      await ledger.run(async (tx) => {
        for (const [call, actors] of [[calls[0], [alex, blake, alex]], [calls[1], [blake, alex]]] as const) for (const actor of actors) await tx.addEvent(call.id, 'missed', actor);
      });
      await ledger.run(async (tx) => {
        for (const call of calls) await tx.moveCall(call, 'ended', { outcome: 'abandoned', ended_at: tx.nowIso, queue_ms: 1000 });
      });
      const missed = await db.selectFrom('call_missed_rollups').selectAll().orderBy('agent_name').execute();
      const bucket = bucketOf(Date.parse(calls[0].queued_at));
      expect(missed.map((r) => [r.bucket_start, r.agent_id, r.agent_name, Number(r.missed)])).toEqual([
        [bucket, alex.id, 'Alex', 3],
        [bucket, blake.id, 'Blake', 2],
      ]);
    });

    it('counts the missed offers on their partial index (not the calls’ whole timelines, grouped), whatever the plan’s parameters', async () => {
      const rollups = new RollupChanges();
      rollups.addMissedOf({ id: randomUUID(), queued_at: '2026-12-07T10:20:00.000Z' });
      const [write] = rollups.writes(db);
      const plan = await queryPlan(db, dialectOfSuite, write.build(write.values), { generic: true });
      // The index holds the agent and name of each missed offer by call, in agent order: read
      // alone, and grouped as it comes.
      if (dialectOfSuite === 'sqlite') {
        expect(plan).toContain('USING COVERING INDEX call_events_missed_idx (call_id=?');
        expect(plan).not.toContain('TEMP B-TREE');
      } else {
        // Index only or through a bitmap, as the few rows here make it; sorted by the index, not after.
        expect(plan).toMatch(/(Index Only Scan using|Bitmap Index Scan on) call_events_missed_idx/);
        expect(plan).not.toContain('Sort');
      }
    });

    it('writes a change that takes an ended call\'s part away and adds it back as its net change only', async () => {
      const { call, bucket } = await connectedCallWithItsRollupRow();
      const ended = await ledger.run((tx) => tx.moveCall(call, 'ended', { outcome: 'answered', ended_at: tx.nowIso, talk_ms: 60_000 }));
      const waits = () => db.selectFrom('call_wait_rollups').select(['wait_s', 'calls']).execute();
      expect((await waits()).map((w) => [Number(w.wait_s), Number(w.calls)])).toEqual([[4, 1]]);
      // The wrap-up saved on the ended call: its handle time grows, its wait stays.
      await ledger.run((tx) => tx.updateCall(ended, { disposition: 'Resolved', wrap_up_ms: 30_000 }, { disposition: null }));
      const row = await db.selectFrom('call_rollups').selectAll().where('bucket_start', '=', bucket).executeTakeFirstOrThrow();
      expect([row.calls, row.queue_ms, row.handled, row.handle_ms].map(Number)).toEqual([2, 5000, 2, 95_000]);
      expect((await waits()).map((w) => [Number(w.wait_s), Number(w.calls)])).toEqual([[4, 1]]);
    });
  });

  if (dialectOfSuite === 'postgres') {
    it('sends a unit whose writes read no result to PostgreSQL in one write, with its commit', async () => {
      const call = await addCall(db, 'queued', callerId);
      const unit = () =>
        ledger.run(async (tx) => {
          await tx.addEvent(call.id, 'offered');
          await tx.deadlines.schedule('ring_timeout', call.id, new Date(Date.now() + 60_000));
          tx.publish({ type: 'callConnected', callId: call.id });
        });
      // The first time prepares its statements; the pool's connection is open after it.
      await unit();
      await outbox.settled();
      expect(await writesDuring(unit)).withContext('begin, lock, entry, deadline, outbox row and commit together').toBe(1);
      const deadline = await db.selectFrom('deadlines').select('kind').where('subject_id', '=', call.id).execute();
      expect(deadline).toEqual([{ kind: 'ring_timeout' }]);
      const entries = await db.selectFrom('call_events').select('seq').where('call_id', '=', call.id).execute();
      expect(entries.length).toBe(2);
    });
  }

  if (dialectOfSuite === 'postgres') {
    it('sends a call move and the agent move it requires with the statements after them, not awaited alone (PostgreSQL)', async () => {
      const ring = async () => {
        const call = await addCall(db, 'queued', await addUser(db, 'student'));
        const agentId = await addAgent(db, 'available');
        return () =>
          ledger.run(async (tx) => {
            const row = await tx.call(call.id);
            if (!row) throw new Error('no call');
            await tx.moveCall(row, 'ringing', { ringing_agent_id: agentId, rings_out_at: new Date().toISOString() });
            await tx.requireAgentMove(agentId, { to: 'ringing', by: 'system', reason: 'offered', set: { call_id: call.id } });
            await tx.addEvent(call.id, 'offered');
          });
      };
      // begin + the call read; the call move + the agent read; the agent move with its record + entry + outbox row + commit.
      expect(await writesDuring(await preparedUnit(ring))).toBe(3);
      expect((await db.selectFrom('agent_presence').select('state').where('state', '=', 'ringing').execute()).length).toBe(2);
      expect((await db.selectFrom('calls').select('state').where('state', '=', 'ringing').execute()).length).toBe(2);
    });
  }

  it('reads a call with the presence of its agent (the one who took it, else the one it rings at), each as a read of its own gives it', async () => {
    const { call: ringing, agentId: ringingAt } = await addRingingCall(db, callerId);
    const tookIt = await addAgent(db, 'wrap_up');
    const ended = await addCall(db, 'ended', await addUser(db, 'student'));
    await db.updateTable('calls').set({ agent_id: tookIt, agent_name: 'Alex', ringing_agent_id: ringingAt }).where('id', '=', ended.id).execute();
    const queued = await addCall(db, 'queued', await addUser(db, 'student'));
    // Every column set, so that each comes through as its own read gives it (not only nulls).
    await db.updateTable('agent_presence').set({ call_id: ended.id, wrap_up_ends_at: new Date(Date.now() + 60_000).toISOString() }).where('agent_id', '=', tookIt).execute();
    for (const [callId, agentId] of [
      [ringing.id, ringingAt],
      [ended.id, tookIt],
      [queued.id, null],
    ] as const) {
      const together = await ledger.run(async (tx) => {
        const call = await tx.callAndAgent(callId);
        // The agent's row as read with the call (no second read): what a move of theirs starts from.
        const reads = agentId ? (await sqlDuring(() => tx.agentAsRead(agentId))).length : 0;
        return { call, agent: agentId ? await tx.agentAsRead(agentId) : null, reads };
      });
      const apart = await ledger.run(async (tx) => ({ call: await tx.call(callId), agent: agentId ? await tx.agent(agentId) : null }));
      expect(together.call).withContext(callId).toEqual(apart.call);
      expect(together.agent).withContext(callId).toEqual(apart.agent ?? null);
      expect(together.reads).withContext('statements to read the agent again').toBe(0);
    }
    expect(await ledger.run((tx) => tx.callAndAgent(randomUUID()))).toBeUndefined();
  });

  if (dialectOfSuite === 'postgres') {
    it('reads a call and its agent in one round trip, so that accepting the call is one more with the moves and commit (PostgreSQL)', async () => {
      const accept = async () => {
        const { call, agentId } = await addRingingCall(db, await addUser(db, 'student'));
        return () =>
          ledger.run(async (tx) => {
            const row = await tx.callAndAgent(call.id);
            if (!row) throw new Error('no call');
            await tx.moveCall(row, 'accepted', { agent_id: agentId, agent_name: 'Alex', answered_at: tx.nowIso, ringing_agent_id: null }, { ringing_agent_id: agentId });
            await tx.requireAgentMove(agentId, { to: 'on_call', by: 'agent', reason: 'accepted', callId: call.id });
            await tx.addEvent(call.id, 'accepted');
          });
      };
      // begin + the call with its agent; the call move, the agent move with its record, the entry, the outbox row and the commit.
      expect(await writesDuring(await preparedUnit(accept))).toBe(2);
      expect((await db.selectFrom('agent_presence').select('state').where('state', '=', 'on_call').execute()).length).toBe(2);
      expect((await db.selectFrom('calls').select('state').where('state', '=', 'accepted').execute()).length).toBe(2);
    });
  }

  it('runs a unit again when a move it sent unawaited was superseded, even if the unit failed before a later statement carried it', async () => {
    const call = await addCall(db, 'queued', callerId);
    let runs = 0;
    const result = await ledger
      .run(async (tx) => {
        runs++;
        const seen = runs === 1 ? { ...call, state: 'ringing' as const } : await tx.call(call.id);
        if (!seen) throw new Error('no call');
        await tx.moveCall(seen, 'ended', { outcome: 'abandoned' });
        // Decided from the stale read: had the move been awaited, it would have been superseded before this.
        if (runs === 1) throw new ProblemException('conflict', 'decided from a stale read');
        return 'ended';
      })
      .catch((err: unknown) => err);
    expect(result).toBe('ended');
    expect(runs).toBe(2);
    expect((await db.selectFrom('calls').select('state').where('id', '=', call.id).executeTakeFirstOrThrow()).state).toBe('ended');
  });

  /** A unit that only publishes an event of `type` about the call. */
  const publishing = (callId: string) => (type: 'callConnected' | 'callRequeued') =>
    ledger.run(async (tx) => tx.publish(type === 'callConnected' ? { type, callId } : { type, callId, callerId, declined: false }));
  /** The outbox rows stored, by their first event's type. */
  const outboxRows = async () => (await db.selectFrom('ledger_outbox').select('events').execute()).map((r) => (JSON.parse(r.events) as LedgerEvent[])[0].type);

  if (dialectOfSuite === 'postgres') {
    it('deletes the outbox rows it delivered with the next unit\'s commit, and again later those of a unit that failed (PostgreSQL)', async () => {
      // Delivered rows wait for a unit as long as it takes here.
      outbox.deleteInTransactions(60_000);
      const call = await addCall(db, 'queued', callerId);
      const unit = publishing(call.id);
      await unit('callConnected');
      expect(await outboxRows()).withContext('delivered, waiting for the next unit').toEqual(['callConnected']);
      await unit('callRequeued');
      expect(await outboxRows()).withContext('the first went with the second unit\'s commit').toEqual(['callRequeued']);
      // A unit that takes the delivered rows and then fails at its commit (a held insert's unique violation).
      const failing = ledger.run(async (tx) => {
        await tx.insertCall({ ...call, id: call.id, state: 'queued' });
        tx.publish({ type: 'callConnected', callId: call.id });
      });
      await expectAsync(failing).toBeRejectedWith(jasmine.objectContaining({ code: '23505' }));
      expect(await outboxRows()).withContext('nothing of the failed unit stored, nothing it took deleted').toEqual(['callRequeued']);
      await unit('callConnected');
      expect(await outboxRows()).withContext('the row the failed unit took goes with the next one').toEqual(['callConnected']);
      expect(delivered.map((events) => events[0].type)).toEqual(['callConnected', 'callRequeued', 'callConnected']);
    });
  }

  if (dialectOfSuite === 'sqlite') {
    it('deletes the outbox rows it delivered with the next grouped commit, and again later those of a transaction whose commit failed (SQLite)', async () => {
      // Delivered rows wait for a grouped transaction as long as it takes here.
      outbox.deleteInTransactions(60_000);
      const call = await addCall(db, 'queued', callerId);
      const unit = publishing(call.id);
      // A row is delivered (its reactions done) a turn after its unit is acknowledged.
      const delivery = () => new Promise<void>((resolve) => setImmediate(resolve));
      await unit('callConnected');
      await delivery();
      expect(await outboxRows()).withContext('delivered, waiting for the next transaction').toEqual(['callConnected']);
      await unit('callRequeued');
      await delivery();
      expect(await outboxRows()).withContext("the first went with the second transaction's commit").toEqual(['callRequeued']);
      // A unit that leaves a deferred foreign-key violation: its transaction takes the delivered
      // row, then its commit fails and rolls back.
      const failing = ledger.run(async (tx) => {
        await sql`pragma defer_foreign_keys = on`.execute(tx.db);
        await tx.db.insertInto('call_events').values({ id: randomUUID(), call_id: randomUUID(), seq: 1, at: tx.nowIso, type: 'offered', actor_id: null, actor_name: null, detail: null }).execute();
        tx.publish({ type: 'callConnected', callId: call.id });
      });
      await expectAsync(failing).toBeRejectedWith(jasmine.objectContaining({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }));
      expect(await outboxRows()).withContext('nothing of the failed transaction stored, nothing it took deleted').toEqual(['callRequeued']);
      await unit('callConnected');
      await delivery();
      expect(await outboxRows()).withContext('the row the failed transaction took goes with the next one').toEqual(['callConnected']);
      expect(delivered.map((events) => events[0].type)).toEqual(['callConnected', 'callRequeued', 'callConnected']);
    });
  }

  describe('writes that go together (on PostgreSQL one statement each)', () => {
    const changesOf = (agentId: string) => db.selectFrom('agent_state_changes').select(['from_state', 'to_state', 'reason']).where('agent_id', '=', agentId).execute();
    const stateOf = async (agentId: string) => (await db.selectFrom('agent_presence').select('state').where('agent_id', '=', agentId).executeTakeFirstOrThrow()).state;
    const entriesOf = async (callId: string) => (await db.selectFrom('call_events').select('type').where('call_id', '=', callId).execute()).map((e) => e.type);

    it('records an agent move only when it is made: one whose agent moved since the read changes and records nothing, and the rest commits', async () => {
      const call = await addCall(db, 'queued', callerId);
      const agentId = await addAgent(db, 'offline');
      const row = await db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirstOrThrow();
      const missed = await ledger.run(async (tx) => {
        // Read as available a moment ago (routing's claim); signed out since.
        tx.readAgent({ ...row, state: 'available' });
        const moved = await tx.moveAgent(agentId, { to: 'ringing', by: 'system', reason: 'offered' });
        await tx.addEvent(call.id, 'offered');
        return moved;
      });
      expect(missed).toBeNull();
      expect(await stateOf(agentId)).toBe('offline');
      expect(await changesOf(agentId)).toEqual([]);
      expect(await entriesOf(call.id)).withContext('the rest of the transaction').toEqual(['offered']);
      const made = await ledger.run((tx) => tx.moveAgent(agentId, { to: 'available', by: 'agent', reason: 'signed in', byUserId: agentId }));
      expect(made?.state).toBe('available');
      expect(await changesOf(agentId)).toEqual([{ from_state: 'offline', to_state: 'available', reason: 'signed in' }]);
      const byUser = await db.selectFrom('agent_state_changes').select('by_user_id').where('agent_id', '=', agentId).executeTakeFirstOrThrow();
      expect(byUser.by_user_id).toBe(agentId);
    });

    it('supersedes the transaction when a required agent move finds the agent moved since the read, recording nothing of that try', async () => {
      const call = await addCall(db, 'queued', callerId);
      const agentId = await addAgent(db, 'offline');
      const row = await db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirstOrThrow();
      let runs = 0;
      await ledger.run(async (tx) => {
        runs++;
        if (runs === 1) {
          tx.readAgent({ ...row, state: 'available' });
          await tx.requireAgentMove(agentId, { to: 'ringing', by: 'system', reason: 'offered' });
        } else {
          await tx.requireAgentMove(agentId, { to: 'available', by: 'agent', reason: 'signed in' });
        }
        await tx.addEvent(call.id, runs === 1 ? 'offered' : 'queued');
      });
      expect(runs).toBe(2);
      expect(await stateOf(agentId)).toBe('available');
      expect(await changesOf(agentId)).toEqual([{ from_state: 'offline', to_state: 'available', reason: 'signed in' }]);
      expect(await entriesOf(call.id)).toEqual(['queued']);
      // Always moved under it: conflict, nothing recorded.
      const moving = ledger.run(async (tx) => {
        tx.readAgent({ ...row, state: 'offline' });
        await tx.requireAgentMove(agentId, { to: 'available', by: 'agent', reason: 'signed in again' });
        await tx.addEvent(call.id, 'offered');
      });
      await expectAsync(moving).toBeRejectedWith(jasmine.objectContaining({ code: 'conflict' }));
      expect(await changesOf(agentId)).toEqual([{ from_state: 'offline', to_state: 'available', reason: 'signed in' }]);
      expect(await entriesOf(call.id)).toEqual(['queued']);
    });

    it('adds a timeline entry with the writes alongside: the call\'s held signals of both parties dropped, a deadline cancelled, nothing of another call', async () => {
      const [call, other] = [await addCall(db, 'connected', callerId), await addCall(db, 'connected', await addUser(db, 'student'))];
      const now = new Date().toISOString();
      for (const { id } of [call, other]) {
        await db.insertInto('call_signals').values({ call_id: id, message_id: 'm1', kind: 'offer', payload: '{}', created_at: now, seq: 1, negotiation_id: null }).execute();
        await db.insertInto('call_answer_signals').values({ call_id: id, message_id: 'm2', kind: 'answer', payload: '{}', negotiation_id: null, created_at: now }).execute();
        await db.insertInto('deadlines').values([
          { id: randomUUID(), kind: 'media_timeout', subject_id: id, due_at: now, claimed_by: null, claimed_at: null },
          { id: randomUUID(), kind: 'ring_timeout', subject_id: id, due_at: now, claimed_by: null, claimed_at: null },
        ]).execute();
      }
      await ledger.run(async (tx) => {
        await tx.addEvent(call.id, 'connected', null, null, tx.deadlines.cancelling(call.id, 'media_timeout'), ...tx.droppingSignals(call.id));
      });
      expect((await db.selectFrom('call_signals').select('call_id').execute()).map((r) => r.call_id)).toEqual([other.id]);
      expect((await db.selectFrom('call_answer_signals').select('call_id').execute()).map((r) => r.call_id)).toEqual([other.id]);
      const deadlines = await db.selectFrom('deadlines').select(['subject_id', 'kind']).orderBy('subject_id').orderBy('kind').execute();
      expect(deadlines).toEqual(
        [
          { subject_id: call.id, kind: 'ring_timeout' as const },
          { subject_id: other.id, kind: 'media_timeout' as const },
          { subject_id: other.id, kind: 'ring_timeout' as const },
        ].sort((a, b) => a.subject_id.localeCompare(b.subject_id) || a.kind.localeCompare(b.kind)),
      );
      expect(await entriesOf(call.id)).toEqual(['connected']);
      expect(await entriesOf(other.id)).toEqual([]);
      await db.deleteFrom('call_answer_signals').execute();
    });

    if (dialectOfSuite === 'postgres') {
      it('sends an accept\'s writes that go together to PostgreSQL as one statement, not one per write', async () => {
        // Delivered rows wait for the next unit (as in production), so the second unit deletes the first's.
        outbox.deleteInTransactions(60_000);
        const accept = async () => {
          const { call, agentId } = await addRingingCall(db, await addUser(db, 'student'));
          return () =>
            ledger.run(async (tx) => {
              const row = await tx.call(call.id);
              if (!row) throw new Error('no call');
              await tx.moveCall(row, 'accepted', { agent_id: agentId });
              await tx.requireAgentMove(agentId, { to: 'on_call', by: 'agent', reason: 'accepted', callId: call.id });
              const mediaTimeout = new Date(Date.now() + 60_000);
              await tx.addEvent(call.id, 'accepted', null, null, ...tx.deadlines.replacing(call.id, ['ring_timeout', 'max_wait'], 'media_timeout', mediaTimeout), ...tx.droppingSignals(call.id));
              tx.publish({ type: 'callConnected', callId: call.id });
            });
        };
        const unit = await preparedUnit(accept);
        // begin, the call read, the call move, the agent read, the agent move with its record,
        // the entry with the deadlines' cancel, the new deadline and both signal tables, the
        // outbox row with the delete of the first unit's delivered one, commit: 8 (14 with one
        // statement per write).
        expect(await statementsDuring(unit)).toBe(8);
        expect((await db.selectFrom('ledger_outbox').select('id').execute()).length).withContext('the first unit\'s delivered row deleted by the second').toBe(1);
        expect((await db.selectFrom('agent_state_changes').select('to_state').execute()).map((r) => r.to_state)).toEqual(['on_call', 'on_call']);
        expect((await db.selectFrom('deadlines').select('kind').execute()).map((r) => r.kind)).toEqual(['media_timeout', 'media_timeout']);
      });
    }
  });

  it('refuses a move the machine forbids with the product\'s error, not a crash', async () => {
    const call = await addCall(db, 'ended', callerId);
    const refused = await ledger.run((tx) => tx.moveCall(call, 'queued', {})).catch((err: unknown) => err);
    expect(refused).toEqual(jasmine.any(ProblemException));
  });
});
