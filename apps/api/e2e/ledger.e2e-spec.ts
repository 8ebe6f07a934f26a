import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { AgentPresence } from '../src/calls/agent-presence.service';
import { CallMediaHolders } from '../src/calls/call-media-holders';
import { CallRecords } from '../src/calls/call-records';
import { callCallerRoom } from '../src/calls/call-parties';
import { CallLedger, LedgerTransaction, type AgentMove } from '../src/calls/ledger/call-ledger';
import { QueuePositions } from '../src/calls/queue-positions';
import { SignalHolds } from '../src/calls/signal-holds';
import { SignalRelay } from '../src/calls/signal-relay.service';
import { SocketRooms } from '../src/calls/socket-rooms';
import type { LedgerEvent } from '../src/calls/ledger/ledger-events';
import { OUTBOX_STALE_MS } from '../src/calls/ledger/ledger-outbox';
import { DATABASE } from '../src/database/database.module';
import { statementsBuiltEachTime } from '../src/database/prepared-queries';
import type { Database } from '../src/database/schema';
import { sqlDuring } from '../src/testing/statements-sent';
import { callAppPerSpec, eventually, pause, type TestClient } from './call-clients';

const sdp = (label: string) => `v=0\r\no=- ${label} 2 IN IP4 127.0.0.1\r\ns=-\r\n`;
const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an asymmetric matcher stands in for any ack type
const refused = (code: string): any => jasmine.objectContaining({ ok: false, error: { code, message: jasmine.any(String) } });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`The call ledger on the real app [${dialect}] (e2e)`, () => {
    const harness = callAppPerSpec(dialect, { SHORT_ABANDON_SECONDS: '0' });
    let db: Kysely<Database>;
    beforeEach(() => (db = harness.app.app.get<Kysely<Database>>(DATABASE)));

    async function available(username: string): Promise<TestClient> {
      const agent = await harness.connect(username);
      await agent.ok('setAvailability', { state: 'available' });
      return agent;
    }

    /** A call from `student` accepted by `agent`, with its offer (negotiation `negotiationId`). */
    async function acceptedCall(agent: TestClient, student: TestClient, negotiationId: string): Promise<string> {
      const { callId } = await student.ok('requestCall', {});
      await agent.next('callOffered', (o) => o.callId === callId);
      await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('first') } });
      await agent.ok('acceptCall', { callId });
      await agent.next('offerRelayed', (o) => o.callId === callId);
      return callId;
    }

    /** A call from Sam ringing at Alex (Available), nothing offered yet. */
    async function ringingCall(): Promise<{ alex: TestClient; student: TestClient; callId: string }> {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered', (o) => o.callId === callId);
      return { alex, student, callId };
    }

    /** A call from Sam accepted by Alex (Available) before Sam has offered anything. */
    async function acceptedBeforeOffer(): Promise<{ alex: TestClient; student: TestClient; callId: string }> {
      const { alex, student, callId } = await ringingCall();
      await alex.ok('acceptCall', { callId });
      return { alex, student, callId };
    }

    /** A call from `student` waiting in line: the only agent on duty declined it (and is not rung again within a ring timeout). */
    async function waitingCall(student: TestClient): Promise<string> {
      const kim = await available('agent2');
      const { callId } = await student.ok('requestCall', {});
      await kim.next('callOffered', (o) => o.callId === callId);
      await kim.ok('declineCall', { callId });
      return callId;
    }

    /**
     * Holds the storing of the next new negotiations until `release()` (then stores them, or
     * with `fail` refuses them as a failed write would): no race against a timer.
     */
    function heldNegotiationStart(options: { fail?: boolean } = {}): { storing: boolean; release(): void } {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const start = { storing: true, release };
      const original = LedgerTransaction.prototype.startNegotiation;
      spyOn(LedgerTransaction.prototype, 'startNegotiation').and.callFake(async function (this: LedgerTransaction, ...args: Parameters<LedgerTransaction['startNegotiation']>) {
        await released;
        start.storing = false;
        if (options.fail) throw new Error('disk full');
        return original.apply(this, args);
      });
      return start;
    }

    it('gives calls ids that sort in the order they were placed (new calls go to the end of the indexes their ids lead)', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const callIds: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { callId } = await student.ok('requestCall', {});
        await alex.next('callOffered', (o) => o.callId === callId);
        callIds.push(callId);
        await student.ok('cancelCall', { callId });
      }
      expect([...callIds].sort()).withContext('call ids in the order the calls were placed').toEqual(callIds);
      const stored = await db.selectFrom('calls').select('id').orderBy('queued_at').execute();
      expect(stored.map((c) => c.id)).toEqual(callIds);
      // UUIDs of version 7.
      for (const id of callIds) expect(id[14]).withContext(id).toBe('7');
    });

    it('runs a whole call\'s statements as built once: none is built anew for each call', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      for (let i = 0; i < 2; i++) {
        const negotiationId = randomUUID();
        const callId = await acceptedCall(alex, student, negotiationId);
        await student.ok('sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(1) });
        await alex.ok('sendAnswer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer', sdp: sdp('answer') } });
        await alex.ok('sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(2) });
        await alex.ok('reportMedia', { callId, state: 'connected' });
        await student.ok('reportMedia', { callId, state: 'connected' });
        await alex.ok('hangUp', { callId });
        await alex.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: '' });
        await alex.next('agentStatusChanged', (s) => s.state === 'available');
      }
      // A call declined, then cancelled while queued; one cancelled while ringing; an extended wrap-up; a quality sample.
      const declined = await student.ok('requestCall', {});
      await alex.next('callOffered', (o) => o.callId === declined.callId);
      await alex.ok('declineCall', { callId: declined.callId });
      await student.ok('cancelCall', { callId: declined.callId });
      await alex.ok('setAvailability', { state: 'available' });
      const cancelled = await student.ok('requestCall', {});
      await alex.next('callOffered', (o) => o.callId === cancelled.callId);
      await student.ok('cancelCall', { callId: cancelled.callId });
      const negotiationId = randomUUID();
      const callId = await acceptedCall(alex, student, negotiationId);
      await alex.ok('reportMedia', { callId, state: 'connected' });
      await student.ok('reportMedia', { callId, state: 'connected' });
      await student.ok('reportQuality', { callId, rttMs: 40, jitterMs: 3, lossPercent: 0 });
      await student.ok('hangUp', { callId });
      await alex.ok('extendWrapUp', { callId });
      await alex.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: '' });
      expect(statementsBuiltEachTime(db)).toEqual([]);
    });

    it('runs no write that can find nothing: the first offer and answer replace no held signals, a connected call\'s end cancels no deadline nor reads its missed offers', async () => {
      const { alex, student, callId } = await ringingCall();
      const negotiationId = randomUUID();
      const heldRows = async (table: 'call_signals' | 'call_answer_signals') => (await db.selectFrom(table).select('message_id').where('call_id', '=', callId).execute()).length;
      const offering = await sqlDuring(async () => {
        await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('first') } });
        await eventually(async () => (await heldRows('call_signals')) === 1 || null);
      });
      const accepting = await sqlDuring(() => alex.ok('acceptCall', { callId }));
      const answering = await sqlDuring(async () => {
        await alex.ok('sendAnswer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer', sdp: sdp('answer') } });
        await eventually(async () => (await heldRows('call_answer_signals')) === 1 || null);
      });
      await alex.ok('reportMedia', { callId, state: 'connected' });
      await student.ok('reportMedia', { callId, state: 'connected' });
      const ending = await sqlDuring(() => student.ok('hangUp', { callId }));
      const deletesFrom = (texts: string[], table: string) => texts.filter((text) => new RegExp(`delete from "?${table}"? `, 'i').test(text));
      // What is seen (the accept cancels the ring's deadlines; the end drops the held signals)...
      expect(deletesFrom(accepting, 'deadlines').length).withContext('the accept cancels the ring timeout').toBe(1);
      expect(deletesFrom(ending, 'call_signals').length).withContext('the end drops held signals').toBe(1);
      // ...and what is not: nothing was held before the first offer or answer, no deadline is left once media connected.
      expect(deletesFrom(offering, 'call_signals')).toEqual([]);
      expect(deletesFrom(answering, 'call_answer_signals')).toEqual([]);
      expect(deletesFrom(ending, 'deadlines')).toEqual([]);
      expect(await db.selectFrom('deadlines').select('kind').where('subject_id', '=', callId).execute()).toEqual([]);
      // The end counts the call's missed offers (none here) in the roll-ups' own statement: no read of its timeline.
      expect(ending.filter((text) => /^select\b.*\bfrom "call_events"/is.test(text))).withContext('reads of the timeline at the end').toEqual([]);
    });

    it('estimates a caller\'s wait from the calls answered as the ledger publishes them, not from a read for each call placed', async () => {
      const alex = await available('agent');
      const first = await harness.connect('student');
      const waited = await first.ok('requestCall', {});
      expect(waited.estimatedWaitSeconds).withContext('nothing answered yet').toBeNull();
      await alex.next('callOffered', (o) => o.callId === waited.callId);
      await pause(1_600);
      await alex.ok('acceptCall', { callId: waited.callId });
      const { queue_ms } = await db.selectFrom('calls').select('queue_ms').where('id', '=', waited.callId).executeTakeFirstOrThrow();
      const second = await harness.connect('student2');
      let placed: { estimatedWaitSeconds: number | null; position: number } | undefined;
      const sent = await sqlDuring(async () => (placed = await second.ok('requestCall', {})));
      // Alex is on the first call: the second waits first in line, its estimate the first call's wait.
      expect(placed).toEqual(jasmine.objectContaining({ position: 1, estimatedWaitSeconds: Math.round(Number(queue_ms) / 1000) }));
      expect(Number(queue_ms)).toBeGreaterThanOrEqual(1_500);
      expect(sent.filter((text) => /order by "answered_at" desc/i.test(text))).toEqual([]);
    });

    it('lets a page\'s two takings-up of its call at once (e.g. as it connects, and by resumeCall) both hold it', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const callId = await acceptedCall(alex, student, randomUUID());
      const rooms = harness.app.app.get(SocketRooms);
      // The student's page reloads: its new socket takes the caller's side of the call up twice at once.
      student.socket.disconnect();
      await eventually(async () => (await rooms.io.in(callCallerRoom(callId)).fetchSockets()).length === 0 || null);
      const page = await harness.connect('student');
      const socket = rooms.io.sockets.sockets.get(page.socket.id ?? '');
      if (!socket) throw new Error('no server socket');
      const holders = harness.app.app.get(CallMediaHolders);
      const taken = await Promise.all([holders.take(socket, callId, callCallerRoom(callId)), holders.take(socket, callId, callCallerRoom(callId))]);
      expect(taken).toEqual([true, true]);
      expect(socket.rooms.has(callCallerRoom(callId))).toBeTrue();
    });

    // Only PostgreSQL runs transactions side by side (SQLite has one writer): the order of their row locks matters there.
    if (dialect === 'postgres') {
      it('takes an agent\'s row before their grace deadline when marking them connected again, as connecting does (no crosswise wait)', async () => {
        const alex = await available('agent');
        await db.updateTable('agent_presence').set({ connected: 0 }).where('agent_id', '=', alex.userId).execute();
        await db.insertInto('deadlines').values({ id: randomUUID(), kind: 'presence_grace', subject_id: alex.userId, due_at: new Date(Date.now() + 60_000).toISOString(), claimed_by: null, claimed_at: null }).execute();
        const presence = harness.app.app.get(AgentPresence);
        let marking: Promise<unknown> | undefined;
        let deadlineFree = false;
        // Another transaction holds the agent's row (as a tab's connect does, before it cancels the deadline).
        await db.transaction().execute(async (holding) => {
          await sql`select agent_id from agent_presence where agent_id = ${alex.userId} for update`.execute(holding);
          marking = presence.markConnected(alex.userId);
          await pause(300);
          // While it waits for the agent's row, the deadline must still be free (else: a deadlock with that connect).
          deadlineFree = await db
            .transaction()
            .execute(async (probe) => {
              await sql`select id from deadlines where subject_id = ${alex.userId} for update nowait`.execute(probe);
              return true;
            })
            .catch((err: { code?: string }) => (err.code === '55P03' ? false : Promise.reject(err)));
        });
        await marking;
        expect(deadlineFree).withContext('the grace deadline was locked while the agent\'s row was awaited').toBeTrue();
        expect((await db.selectFrom('agent_presence').select('connected').where('agent_id', '=', alex.userId).executeTakeFirstOrThrow()).connected).toBe(1);
        expect(await db.selectFrom('deadlines').select('id').where('subject_id', '=', alex.userId).where('kind', '=', 'presence_grace').execute()).toEqual([]);
      });
    }

    it('saves a wrap-up sent while the move into wrap-up is in flight, and never leaves an acknowledged one stuck in Wrap-up', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const callId = await acceptedCall(alex, student, randomUUID());
      await alex.ok('reportMedia', { callId, state: 'connected' });
      // Hold the hang-up's transaction open at its move into wrap-up, and send the wrap-up meanwhile.
      let inFlight!: () => void;
      const moving = new Promise<void>((resolve) => (inFlight = resolve));
      const original = LedgerTransaction.prototype.moveAgent;
      spyOn(LedgerTransaction.prototype, 'moveAgent').and.callFake(async function (this: LedgerTransaction, agentId: string, move: AgentMove) {
        if (move.to === 'wrap_up') {
          inFlight();
          await pause(300);
        }
        return original.call(this, agentId, move);
      });
      const hangUp = alex.send('hangUp', { callId });
      await moving;
      const early = await alex.send('completeWrapUp', { callId, disposition: 'Resolved', notes: 'sent early' });
      expect((await hangUp).ok).toBeTrue();
      await alex.next('callEnded');
      if (early.ok) {
        // SQLite: the save waited for the hang-up's transaction and came after it.
        expect((await alex.next('agentStatusChanged', (s) => s.state === 'available')).state).toBe('available');
      } else {
        // PostgreSQL: the save read the call before the hang-up committed: refused, nothing stored, and the retry works.
        expect(early).toEqual(refused('invalid_state'));
        expect((await db.selectFrom('agent_presence').select('state').where('agent_id', '=', alex.userId).executeTakeFirstOrThrow()).state).toBe('wrap_up');
        await alex.ok('completeWrapUp', { callId, disposition: 'Resolved', notes: 'sent early' });
      }
      const presence = await eventually(async () => {
        const row = await db.selectFrom('agent_presence').selectAll().where('agent_id', '=', alex.userId).executeTakeFirstOrThrow();
        return row.state === 'available' && row;
      });
      expect(presence.call_id).toBeNull();
      expect(await db.selectFrom('deadlines').select('kind').where('subject_id', '=', alex.userId).execute()).withContext('no wrap-up timer left').toEqual([]);
      expect((await db.selectFrom('calls').select('disposition').where('id', '=', callId).executeTakeFirstOrThrow()).disposition).toBe('Resolved');
    });

    it('replaces a negotiation with a new offer and refuses the old one\'s late answer and candidates', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const first = randomUUID();
      const callId = await acceptedCall(alex, student, first);
      const second = randomUUID();
      const reoffer = { callId, messageId: randomUUID(), negotiationId: second, description: { type: 'offer' as const, sdp: sdp('second') } };
      await student.ok('sendOffer', reoffer);
      expect(await alex.next('offerRelayed', (o) => o.negotiationId === second)).toEqual(reoffer);
      const held = await db.selectFrom('call_signals').select(['kind', 'negotiation_id']).where('call_id', '=', callId).execute();
      expect(held).withContext('only the current negotiation is held').toEqual([{ kind: 'offer', negotiation_id: second }]);

      const stale = refused('stale_negotiation');
      expect(await alex.send('sendAnswer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'answer', sdp: sdp('late') } })).toEqual(stale);
      expect(await alex.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: first, candidate: candidate(1) })).toEqual(stale);
      expect(await student.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: first, candidate: candidate(2) })).toEqual(stale);
      const answer = { callId, messageId: randomUUID(), negotiationId: second, description: { type: 'answer' as const, sdp: sdp('current') } };
      await alex.ok('sendAnswer', answer);
      // The current negotiation's answer arrives; none of the refused messages came before or with it.
      expect(await student.next('answerRelayed')).toEqual(answer);
      expect(student.seen('answerRelayed')).toEqual([]);
      expect(student.seen('candidateRelayed')).toEqual([]);
      expect(alex.seen('candidateRelayed')).toEqual([]);
    });

    it('relays the caller\'s offer to the ringing agent before its negotiation is stored, and the agent\'s early answer to it as soon as it is', async () => {
      const { alex, student, callId } = await ringingCall();
      // The transaction storing the new negotiation (with the held offer) waits.
      const start = heldNegotiationStart();
      const negotiationId = randomUUID();
      const offer = { callId, messageId: randomUUID(), negotiationId, earlyMedia: true as const, description: { type: 'offer' as const, sdp: sdp('early') } };
      const order: string[] = [];
      const acknowledged = student.ok('sendOffer', offer).then(() => order.push('offer acknowledged'));
      expect(await alex.next('offerRelayed', (o) => o.callId === callId)).toEqual(offer);
      order.push('offer relayed');
      expect(start.storing).withContext('the offer waited for its negotiation to be stored').toBeTrue();
      // The ringing agent answers at once (early media), before that negotiation is stored: relayed once it is, not refused.
      const answer = { callId, messageId: randomUUID(), negotiationId, provisional: true as const, description: { type: 'answer' as const, sdp: sdp('provisional') } };
      const answered = alex.ok('sendAnswer', answer);
      await pause(50);
      expect(student.seen('answerRelayed')).withContext('a provisional answer before its negotiation is stored').toEqual([]);
      start.release();
      await answered;
      expect(await student.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
      await acknowledged;
      expect(order).toEqual(['offer relayed', 'offer acknowledged']);
      expect((await db.selectFrom('calls').select('negotiation_id').where('id', '=', callId).executeTakeFirstOrThrow()).negotiation_id).toBe(negotiationId);
      expect(await db.selectFrom('call_signals').select(['kind', 'negotiation_id']).where('call_id', '=', callId).execute()).toEqual([{ kind: 'offer', negotiation_id: negotiationId }]);
    });

    it("refuses the accepted agent's answer and candidates, already relayed, when their negotiation is then not stored, and holds nothing", async () => {
      const { alex, student, callId } = await acceptedBeforeOffer();
      const start = heldNegotiationStart({ fail: true });
      const negotiationId = randomUUID();
      const offered = student.send('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('offer') } });
      await alex.next('offerRelayed', (o) => o.callId === callId);
      const answered = Promise.all([
        alex.send('sendAnswer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer', sdp: sdp('answer') } }),
        alex.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(3) }),
      ]);
      await student.next('answerRelayed', (a) => a.callId === callId);
      start.release();
      expect(await offered).toEqual(jasmine.objectContaining({ ok: false }));
      expect(await answered).toEqual([refused('stale_negotiation'), refused('stale_negotiation')]);
      expect(await db.selectFrom('call_answer_signals').select('kind').where('call_id', '=', callId).execute()).toEqual([]);
    });

    // Only PostgreSQL runs transactions side by side (SQLite has one writer).
    if (dialect === 'postgres') {
      it('rings a different free agent for each of calls placed at the same moment, none left queued', async () => {
        await Promise.all(['agent', 'agent2', 'agent3'].map(available));
        const students = await Promise.all(['student', 'student2', 'student3'].map((name) => harness.connect(name)));
        // The three placing transactions all look for a free agent at the same moment: without
        // claiming one, each would pick the longest idle, one would ring them and two would wait.
        const presence = harness.app.app.get(AgentPresence);
        const look = presence.freeForPlacement.bind(presence);
        let looking = 0;
        spyOn(presence, 'freeForPlacement').and.callFake(async (...args: Parameters<AgentPresence['freeForPlacement']>) => {
          looking++;
          await eventually(async () => looking >= 3, 5000, 5);
          return look(...args);
        });
        const placed = await Promise.all(students.map((student) => student.ok('requestCall', {})));
        // Rung in the placing transaction: the offer's timeline entry has the placement's clock
        // (routing, which would ring a call left queued right after, has a later one).
        const offers = await db
          .selectFrom('calls')
          .innerJoin('call_events', 'call_events.call_id', 'calls.id')
          .select(['calls.ringing_agent_id', 'calls.queued_at', 'call_events.at'])
          .where('calls.id', 'in', placed.map((p) => p.callId))
          .where('call_events.type', '=', 'offered')
          .execute();
        expect(offers.filter((o) => o.at === o.queued_at).length).withContext('calls rung as they were placed').toBe(3);
        expect(new Set(offers.map((o) => o.ringing_agent_id).filter((agentId) => agentId !== null)).size).withContext('agents rung').toBe(3);
      });

      it('claims the free agent a placed call rings: another transaction taking that agent meanwhile waits, then finds them ringing; placed once', async () => {
        const alex = await available('agent');
        const { agentId } = await alex.next('agentStatusChanged', (s) => s.state === 'available');
        const student = await harness.connect('student');
        // Right after the placing transaction read Alex as free, another one tries to take Alex.
        let taking: Promise<{ numUpdatedRows: bigint }> | undefined;
        const presence = harness.app.app.get(AgentPresence);
        const look = presence.freeForPlacement.bind(presence);
        const attempts = spyOn(presence, 'freeForPlacement').and.callFake(async (...args: Parameters<AgentPresence['freeForPlacement']>) => {
          const row = await look(...args);
          if (row?.agent_id === agentId && !taking) {
            taking = db.updateTable('agent_presence').set({ state: 'away' }).where('agent_id', '=', agentId).where('state', '=', 'available').executeTakeFirst();
            // Unclaimed, Alex would be away within this wait; claimed, the update waits for the placement.
            await Promise.race([taking, pause(300)]);
          }
          return row;
        });
        const { callId } = await student.ok('requestCall', {});
        expect(attempts).withContext('placing transactions').toHaveBeenCalledTimes(1);
        expect(await db.selectFrom('calls').select(['state', 'ringing_agent_id']).where('id', '=', callId).executeTakeFirstOrThrow()).toEqual({ state: 'ringing', ringing_agent_id: agentId });
        expect(Number((await taking)?.numUpdatedRows)).withContext('the other transaction, once the placement committed').toBe(0);
      });

    }

    it("relays the accepted agent's answer and candidates to an offer whose negotiation is still being stored at once, and holds them once it is", async () => {
      const { alex, student, callId } = await acceptedBeforeOffer();
      // The transaction storing the new negotiation (with the held offer) waits.
      const start = heldNegotiationStart();
      const negotiationId = randomUUID();
      const offered = student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('offer') } });
      await alex.next('offerRelayed', (o) => o.callId === callId);
      const answer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'answer' as const, sdp: sdp('answer') } };
      const ice = { callId, messageId: randomUUID(), negotiationId, candidate: candidate(3) };
      const acknowledged = Promise.all([alex.ok('sendAnswer', answer), alex.ok('sendCandidate', ice)]);
      expect(await student.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
      expect(await student.next('candidateRelayed', (c) => c.callId === callId)).toEqual(ice);
      expect(start.storing).withContext('relayed before the negotiation was stored').toBeTrue();
      start.release();
      await Promise.all([offered, acknowledged]);
      expect(start.storing).withContext('acknowledged once it was stored').toBeFalse();
      const held = await db.selectFrom('call_answer_signals').select(['kind', 'negotiation_id']).where('call_id', '=', callId).execute();
      expect(held).toEqual(jasmine.arrayWithExactContents([{ kind: 'answer', negotiation_id: negotiationId }, { kind: 'candidate', negotiation_id: negotiationId }]));
    });

    it('sends the agent the caller\'s offer and candidates once, whether they came before the ring or while it rang (one node)', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      const negotiationId = randomUUID();
      // Before the ring: the call may not have rung yet when the offer comes (sent at once, as the bench's callers do).
      await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('first') } });
      await alex.next('callOffered', (o) => o.callId === callId);
      await alex.next('offerRelayed', (o) => o.callId === callId);
      // While it rings, live.
      await student.ok('sendCandidate', { callId, messageId: randomUUID(), negotiationId, candidate: candidate(1) });
      await alex.next('candidateRelayed', (c) => c.callId === callId);
      await alex.ok('acceptCall', { callId });
      await student.next('callAccepted', (a) => a.callId === callId);
      await pause(200);
      expect(alex.seen('offerRelayed').filter((o) => o.callId === callId)).withContext('offers again after the first').toEqual([]);
      expect(alex.seen('candidateRelayed').filter((c) => c.callId === callId)).withContext('candidates again after the first').toEqual([]);
    });

    it('answers the second party\'s "media connected" from what the node knows of the call: no transaction, no read', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const callId = await acceptedCall(alex, student, randomUUID());
      const callReads = (statements: string[]) => statements.filter((text) => /^select \* from "calls" where "id" = /.test(text));
      // The first report moves the call: read once, in its transaction (not before it as well).
      const first = await sqlDuring(() => alex.ok('reportMedia', { callId, state: 'connected' }));
      expect(callReads(first)).withContext('reads of the call for the first report').toHaveSize(1);
      const units = spyOn(harness.app.app.get(CallLedger), 'run').and.callThrough();
      const second = await sqlDuring(async () => {
        await student.ok('reportMedia', { callId, state: 'connected' });
        await alex.ok('reportMedia', { callId, state: 'connected' });
      });
      expect(units).not.toHaveBeenCalled();
      expect(callReads(second)).withContext('reads of the call for the second report and a repeat').toEqual([]);
      // A stranger's report is still refused, and a failure still ends the call.
      const stranger = await harness.connect('student2');
      expect(await stranger.send('reportMedia', { callId, state: 'connected' })).toEqual(refused('forbidden'));
      await student.ok('reportMedia', { callId, state: 'failed' });
      expect((await db.selectFrom('calls').select('state').where('id', '=', callId).executeTakeFirstOrThrow()).state).toBe('ended');
    });

    it('rings a free agent in the transaction that places the call: ringing by the ack, no second unit, no read of held signals', async () => {
      const alex = await available('agent');
      const { agentId } = await alex.next('agentStatusChanged', (s) => s.state === 'available');
      const student = await harness.connect('student');
      const units = spyOn(harness.app.app.get(CallLedger), 'run').and.callThrough();
      // The waiting callers' feed reads who works too (in the background, a queue change later):
      // kept still here, so that what is read is the placing's own — after the sends announced
      // before (the agent's Available, spaced out) are over: one running late read who works
      // once the new call was waiting, inside the window, on a loaded machine.
      const positions = harness.app.app.get(QueuePositions);
      await positions.settled();
      spyOn(positions, 'announce').and.stub();
      let callId = '';
      const placing = await sqlDuring(async () => {
        ({ callId } = await student.ok('requestCall', {}));
        await alex.next('callOffered', (o) => o.callId === callId);
      });
      // By the ack the call rings (the caller's offer, sent next, is relayed live).
      expect(await db.selectFrom('calls').select(['state', 'ringing_agent_id']).where('id', '=', callId).executeTakeFirstOrThrow()).toEqual({ state: 'ringing', ringing_agent_id: agentId });
      // Nothing of the caller can be held before it has the call's id: the ring re-sends nothing, reads nothing.
      expect(placing.filter((text) => text.includes('"call_signals"'))).withContext('reads of held signals for the ring').toEqual([]);
      // Nor is anyone's being at work read: the call rang at an agent.
      expect(placing.filter((text) => text.startsWith('select "agent_id" from "agent_presence"'))).withContext('reads of who works').toEqual([]);
      await pause(200);
      expect(units).withContext('ledger units for placing and ringing').toHaveBeenCalledTimes(1);
      // What the caller sends next reaches the ringing agent live, once.
      const negotiationId = randomUUID();
      await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer', sdp: sdp('live') } });
      await alex.next('offerRelayed', (o) => o.callId === callId);
      await alex.ok('acceptCall', { callId });
      await pause(200);
      expect(alex.seen('offerRelayed').filter((o) => o.callId === callId)).withContext('offers again after the first').toEqual([]);
    });

    it('sends the accepting agent the held offer again when giving it to them with the ring failed', async () => {
      const student = await harness.connect('student');
      const alex = await harness.connect('agent');
      // The caller offers while the call waits in line.
      const callId = await waitingCall(student);
      const offer = { callId, messageId: randomUUID(), negotiationId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('before the ring') } };
      await student.ok('sendOffer', offer);
      // Giving the held offer to the next agent's tabs with the ring fails (a database error, say).
      const relay = harness.app.app.get(SignalRelay);
      const resend = relay.resendHeld.bind(relay);
      let resends = 0;
      spyOn(relay, 'resendHeld').and.callFake((...args: Parameters<SignalRelay['resendHeld']>) => (++resends === 1 ? Promise.reject(new Error('read failed')) : resend(...args)));
      await alex.ok('setAvailability', { state: 'available' });
      await alex.next('callOffered', (o) => o.callId === callId);
      await alex.ok('acceptCall', { callId });
      expect(await alex.next('offerRelayed', (o) => o.callId === callId)).toEqual(offer);
    });

    it('gives an agent the call starts ringing at the caller\'s offer and candidates still being stored, without waiting for their commit', async () => {
      const student = await harness.connect('student');
      const alex = await harness.connect('agent');
      const callId = await waitingCall(student);
      // The caller's holds take 400 ms to begin their transaction (a slow write ahead of them).
      const holds = harness.app.app.get(SignalHolds);
      type Write = (batch: unknown[]) => Promise<unknown>;
      const write = (holds as unknown as { write: Write }).write.bind(holds);
      let storing = true;
      spyOn(holds as unknown as { write: Write }, 'write').and.callFake(async (batch: unknown[]) => {
        await pause(400);
        storing = false;
        return write(batch);
      });
      const negotiationId = randomUUID();
      const offer = { callId, messageId: randomUUID(), negotiationId, description: { type: 'offer' as const, sdp: sdp('queued') } };
      const caller = { callId, messageId: randomUUID(), negotiationId, candidate: candidate(1) };
      const sent = Promise.all([student.ok('sendOffer', offer), student.ok('sendCandidate', caller)]);
      await pause(50);
      // An agent becomes available: the waiting call rings at them.
      await alex.ok('setAvailability', { state: 'available' });
      await alex.next('callOffered', (o) => o.callId === callId);
      expect(await alex.next('offerRelayed', (o) => o.callId === callId)).toEqual(offer);
      expect(await alex.next('candidateRelayed', (c) => c.callId === callId)).toEqual(caller);
      expect(storing).withContext('the ring\'s offer waited for the holds\' commit').toBeTrue();
      await sent;
      expect(await db.selectFrom('call_signals').select('kind').where('call_id', '=', callId).orderBy('seq').execute()).toEqual([{ kind: 'offer' }, { kind: 'candidate' }]);
    });

    it('relays a call\'s first offer from the tab that placed it without reading the call, and reads it for any later one', async () => {
      const { alex, student, callId } = await ringingCall();
      const reads = spyOn(harness.app.app.get(CallRecords), 'get').and.callThrough();
      const first = { callId, messageId: randomUUID(), negotiationId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('first') } };
      await student.ok('sendOffer', first);
      expect(await alex.next('offerRelayed', (o) => o.callId === callId)).toEqual(first);
      expect(reads).withContext('the call was read for its first offer').not.toHaveBeenCalled();
      expect((await db.selectFrom('calls').select('negotiation_id').where('id', '=', callId).executeTakeFirstOrThrow()).negotiation_id).toBe(first.negotiationId);
      // A stranger may not offer; a second offer is checked against the stored call.
      const stranger = await harness.connect('student2');
      expect(await stranger.send('sendOffer', { ...first, messageId: randomUUID(), negotiationId: randomUUID() })).toEqual(refused('forbidden'));
      const second = { ...first, messageId: randomUUID(), negotiationId: randomUUID() };
      await student.ok('sendOffer', second);
      expect(reads).toHaveBeenCalled();
      expect((await db.selectFrom('calls').select('negotiation_id').where('id', '=', callId).executeTakeFirstOrThrow()).negotiation_id).toBe(second.negotiationId);
    });

    for (const spanNodes of [false, true]) {
      it(`refuses a late message of a negotiation it saw replaced at once, reading the call at most once (${spanNodes ? 'rooms across nodes' : 'one node'})`, async () => {
        spyOnProperty(harness.app.app.get(SocketRooms), 'spanNodes').and.returnValue(spanNodes);
        const alex = await available('agent');
        const student = await harness.connect('student');
        const first = randomUUID();
        const callId = await acceptedCall(alex, student, first);
        await student.ok('sendOffer', { callId, messageId: randomUUID(), negotiationId: randomUUID(), reason: 'ice_restart', description: { type: 'offer', sdp: sdp('restart') } });
        const reads = spyOn(harness.app.app.get(CallRecords), 'get').and.callThrough();
        for (const [client, n] of [[student, 1], [alex, 2], [student, 3], [alex, 4]] as const) {
          expect(await client.send('sendCandidate', { callId, messageId: randomUUID(), negotiationId: first, candidate: candidate(n) })).toEqual(refused('stale_negotiation'));
        }
        expect(reads.calls.count()).withContext('reads of the call for 4 late candidates').toBeLessThanOrEqual(4);
      });
    }

    it('waits for a negotiation another node is still storing before refusing a message of it as stale', async () => {
      const { alex, student, callId } = await ringingCall();
      // Another node relayed the caller's offer and commits its negotiation 60 ms after the ringing agent answers it.
      const negotiationId = randomUUID();
      const offer = { callId, messageId: randomUUID(), negotiationId, earlyMedia: true as const, description: { type: 'offer' as const, sdp: sdp('other node') } };
      const answer = { callId, messageId: randomUUID(), negotiationId, provisional: true as const, description: { type: 'answer' as const, sdp: sdp('provisional') } };
      // Rooms span nodes (REDIS_URL): another node may be storing a negotiation this one never saw.
      spyOnProperty(harness.app.app.get(SocketRooms), 'spanNodes').and.returnValue(true);
      const answered = alex.send('sendAnswer', answer);
      await pause(60);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('calls').set({ negotiation_id: negotiationId }).where('id', '=', callId).execute();
        await trx
          .insertInto('call_signals')
          .values({ call_id: callId, message_id: offer.messageId, kind: 'offer', payload: JSON.stringify(offer), created_at: new Date().toISOString(), seq: 1, negotiation_id: negotiationId })
          .execute();
      });
      expect(await answered).toEqual(jasmine.objectContaining({ ok: true }));
      expect(await student.next('answerRelayed', (a) => a.callId === callId)).toEqual(answer);
    });

    it('lets a connected call negotiate again with a new id (an ICE restart) but not repeat its current offer', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const first = randomUUID();
      const callId = await acceptedCall(alex, student, first);
      await student.ok('reportMedia', { callId, state: 'connected' });
      await eventually(async () => (await db.selectFrom('calls').select('state').where('id', '=', callId).executeTakeFirstOrThrow()).state === 'connected');
      expect(await student.send('sendOffer', { callId, messageId: randomUUID(), negotiationId: first, description: { type: 'offer', sdp: sdp('again') } })).toEqual(refused('invalid_state'));
      const restart = { callId, messageId: randomUUID(), negotiationId: randomUUID(), description: { type: 'offer' as const, sdp: sdp('restart') } };
      await student.ok('sendOffer', restart);
      expect(await alex.next('offerRelayed', (o) => o.messageId === restart.messageId)).toEqual(restart);
      expect((await db.selectFrom('calls').select('negotiation_id').where('id', '=', callId).executeTakeFirstOrThrow()).negotiation_id).toBe(restart.negotiationId);
    });

    it('tells a waiting caller their place only when it changed', async () => {
      const alex = await available('agent');
      const students = await Promise.all(['student', 'student2', 'student3'].map((u) => harness.connect(u)));
      const calls: { callId: string }[] = [];
      for (const s of students) calls.push(await s.ok('requestCall', {}));
      await alex.next('callOffered', (o) => o.callId === calls[0].callId);
      // The second caller is told their place once they are in line…
      expect((await students[1].next('queueUpdated', (q) => q.position === 2)).callId).toBe(calls[1].callId);
      // …not again when the caller behind them leaves, only when they move up.
      await students[2].ok('cancelCall', { callId: calls[2].callId });
      await alex.ok('acceptCall', { callId: calls[0].callId });
      expect((await students[1].next('queueUpdated', (q) => q.position === 1)).callId).toBe(calls[1].callId);
      expect(students[1].seen('queueUpdated').filter((q) => q.position === 2)).withContext('told "2nd" again though it had not changed').toEqual([]);
    });

    it('delivers the events a node left undelivered when it died, as they stand now', async () => {
      const alex = await available('agent');
      const student = await harness.connect('student');
      const { callId } = await student.ok('requestCall', {});
      await alex.next('callOffered');
      // A commit whose delivery never happened (the node died): an accept that the call has not
      // (or no longer) made, then the offer that still rings.
      const died = new Date(Date.now() - OUTBOX_STALE_MS - 1000).toISOString();
      const events: LedgerEvent[] = [
        { type: 'callAccepted', callId, callerId: student.userId, agent: { id: alex.userId, displayName: 'Alex Agent' }, socketId: 'gone' },
        { type: 'callOffered', agentId: alex.userId, offer: { callId, caller: { id: student.userId, displayName: 'Sam Student' }, ringsOutAt: new Date(Date.now() + 15_000).toISOString() } },
      ];
      await db.insertInto('ledger_outbox').values({ id: randomUUID(), created_at: died, events: JSON.stringify(events), claimed_by: 'dead-node', claimed_at: died }).execute();
      expect((await alex.next('callOffered', (o) => o.callId === callId, 3000)).caller.displayName).toBe('Sam Student');
      await eventually(async () => (await db.selectFrom('ledger_outbox').selectAll().execute()).length === 0);
      // Anything sent to the student before this ack has arrived: the stale accept was not announced.
      expect(await student.send('requestCall', {})).toEqual(refused('conflict'));
      expect(student.seen('callAccepted')).toEqual([]);
    });
  });
}
