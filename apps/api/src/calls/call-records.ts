import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { sql, type Kysely, type Updateable } from 'kysely';
import type { CallEventType, CallState, CandidateMessage, OfferMessage, SignalMessage, WaitingCall } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { CallRow, CallsTable, Database } from '../database/schema';

/** Who an event is about or by. */
export interface EventActor {
  id: string;
  name: string;
}

/** Extra conditions of a conditional call update. */
export interface CallGuard {
  /** The call must be ringing at this agent. */
  ringingAgentId?: string;
  /** The call's current offer must ring out at this time. */
  ringsOutAt?: string;
  /** The wrap-up must not have been saved yet. */
  noDisposition?: true;
}

/** At most this many of a call's ICE candidates are held for re-sending (a browser gathers a handful). */
export const MAX_HELD_CANDIDATES = 64;

/** What {@link CallRecords.holdSignal} did with a message. */
export type HoldResult = 'held' | 'duplicate' | 'full';

/** How many recent answers the wait estimate averages. */
const RECENT_ANSWERS = 20;
/** Tries at the next timeline (or held-signal) number when two nodes write to one call at once. */
const EVENT_INSERT_TRIES = 3;

/**
 * The call records: rows of `calls`, their timelines (`call_events`) and the caller's held
 * signaling (`call_signals`). Every change of state is a conditional UPDATE, so when two
 * tabs or nodes race only one wins.
 */
@Injectable()
export class CallRecords {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** Stores a new call. */
  async insert(row: CallRow): Promise<void> {
    await this.db.insertInto('calls').values(row).execute();
  }

  /** The call with this id, if any. */
  async get(callId: string): Promise<CallRow | undefined> {
    return this.db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirst();
  }

  /** Applies `patch` only if the call is in one of `states` (and passes `guard`); whether it did. */
  async update(callId: string, states: readonly CallState[], patch: Updateable<CallsTable>, guard: CallGuard = {}): Promise<boolean> {
    let query = this.db.updateTable('calls').set(patch).where('id', '=', callId).where('state', 'in', [...states]);
    if (guard.ringingAgentId !== undefined) query = query.where('ringing_agent_id', '=', guard.ringingAgentId);
    if (guard.ringsOutAt !== undefined) query = query.where('rings_out_at', '=', guard.ringsOutAt);
    if (guard.noDisposition) query = query.where('disposition', 'is', null);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Appends an entry to the call's timeline, numbered after the last one. */
  async addEvent(callId: string, type: CallEventType, actor: EventActor | null = null, detail: string | null = null): Promise<void> {
    const at = new Date().toISOString();
    for (let attempt = 1; ; attempt++) {
      try {
        await sql`insert into call_events (id, call_id, seq, at, type, actor_id, actor_name, detail)
          select cast(${randomUUID()} as text), cast(${callId} as text), coalesce(max(seq), 0) + 1, cast(${at} as text),
                 cast(${type} as text), cast(${actor?.id ?? null} as text), cast(${actor?.name ?? null} as text), cast(${detail} as text)
          from call_events where call_id = ${callId}`.execute(this.db);
        return;
      } catch (err) {
        // Another node took the same number: take the next one.
        if (attempt >= EVENT_INSERT_TRIES || !isUniqueViolation(err)) throw err;
      }
    }
  }

  /** Calls waiting for an agent (queued or ringing), oldest first. */
  async waiting(): Promise<CallRow[]> {
    return this.db.selectFrom('calls').selectAll().where('state', 'in', ['queued', 'ringing']).orderBy('queued_at').orderBy('id').execute();
  }

  /** Queued calls (not ringing) with the agents who declined or missed each (and when), for routing. */
  async queuedForRouting(): Promise<WaitingCall[]> {
    // Every queued call (no page limit: a head of calls every free agent passed on must not hide
    // the ones behind it), and their passes by a join rather than a list of ids.
    const calls = await this.db.selectFrom('calls').select(['id', 'queued_at']).where('state', '=', 'queued').orderBy('queued_at').orderBy('id').execute();
    if (calls.length === 0) return [];
    const rows = await this.db
      .selectFrom('call_events')
      .innerJoin('calls', 'calls.id', 'call_events.call_id')
      .select(['call_events.call_id', 'call_events.actor_id', 'call_events.type', 'call_events.at'])
      .where('calls.state', '=', 'queued')
      .where('call_events.type', 'in', ['declined', 'missed'])
      .where('call_events.actor_id', 'is not', null)
      .execute();
    const passes = new Map<string, WaitingCall['passes'][number][]>();
    for (const r of rows) {
      const list = passes.get(r.call_id) ?? [];
      list.push({ agentId: r.actor_id as string, reason: r.type === 'declined' ? 'declined' : 'missed', at: r.at });
      passes.set(r.call_id, list);
    }
    return calls.map((c) => ({ callId: c.id, queuedAt: c.queued_at, passes: passes.get(c.id) ?? [] }));
  }

  /** The caller's calls that are not over. */
  async activeOfCaller(callerId: string): Promise<CallRow[]> {
    return this.db.selectFrom('calls').selectAll().where('caller_id', '=', callerId).where('state', '!=', 'ended').execute();
  }

  /** Every call that is not over. */
  async active(): Promise<CallRow[]> {
    return this.db.selectFrom('calls').selectAll().where('state', '!=', 'ended').execute();
  }

  /** Queue times (ms) of the most recently answered calls. */
  async recentQueueMs(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('calls')
      .select('queue_ms')
      .where('answered_at', 'is not', null)
      .where('queue_ms', 'is not', null)
      .orderBy('answered_at', 'desc')
      .limit(RECENT_ANSWERS)
      .execute();
    return rows.map((r) => Number(r.queue_ms));
  }

  /**
   * Holds the caller's offer (replacing an earlier one) or candidate until media connects:
   * `held`; `duplicate` for a repeated message id; `full` for a candidate beyond
   * {@link MAX_HELD_CANDIDATES} (not held, so a re-send after a reload has only the first ones;
   * the caller relays it live anyway).
   */
  async holdSignal(kind: 'offer' | 'candidate', message: OfferMessage | CandidateMessage): Promise<HoldResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.holdSignalOnce(kind, message);
      } catch (err) {
        // Another node took the same sequence number for this call: take the next one.
        if (attempt >= EVENT_INSERT_TRIES || !isUniqueViolation(err)) throw err;
      }
    }
  }

  private holdSignalOnce(kind: 'offer' | 'candidate', message: OfferMessage | CandidateMessage): Promise<HoldResult> {
    return this.db.transaction().execute(async (trx) => {
      // Holds of one call take turns (a row lock on the call on PostgreSQL; SQLite runs one
      // transaction at a time), so the count and the next sequence number are not raced.
      await trx.updateTable('calls').set((eb) => ({ id: eb.ref('id') })).where('id', '=', message.callId).execute();
      const seen = await trx
        .selectFrom('call_signals')
        .select('message_id')
        .where('call_id', '=', message.callId)
        .where('message_id', '=', message.messageId)
        .executeTakeFirst();
      if (seen) return 'duplicate';
      if (kind === 'offer') await trx.deleteFrom('call_signals').where('call_id', '=', message.callId).where('kind', '=', 'offer').execute();
      if (kind === 'candidate') {
        const { held } = await trx
          .selectFrom('call_signals')
          .select((eb) => eb.fn.countAll<number | string | bigint>().as('held'))
          .where('call_id', '=', message.callId)
          .where('kind', '=', 'candidate')
          .executeTakeFirstOrThrow();
        if (Number(held) >= MAX_HELD_CANDIDATES) return 'full';
      }
      const { last } = await trx
        .selectFrom('call_signals')
        .select((eb) => eb.fn.max('seq').as('last'))
        .where('call_id', '=', message.callId)
        .executeTakeFirstOrThrow();
      const result = await trx
        .insertInto('call_signals')
        .values({ call_id: message.callId, message_id: message.messageId, kind, payload: JSON.stringify(message), created_at: new Date().toISOString(), seq: Number(last ?? 0) + 1 })
        .onConflict((oc) => oc.columns(['call_id', 'message_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0 ? 'held' : 'duplicate';
    });
  }

  /** The held offer, then the held candidates, in the order they arrived. */
  async heldSignals(callId: string): Promise<SignalMessage[]> {
    const rows = await this.db.selectFrom('call_signals').selectAll().where('call_id', '=', callId).orderBy('seq').execute();
    const ordered = [...rows.filter((r) => r.kind === 'offer'), ...rows.filter((r) => r.kind === 'candidate')];
    return ordered.map((r) => ({ kind: r.kind, ...JSON.parse(r.payload) }) as SignalMessage);
  }

  /** Forgets the call's held signaling (media connected or the call ended). */
  async dropSignals(callId: string): Promise<void> {
    await this.db.deleteFrom('call_signals').where('call_id', '=', callId).execute();
  }

  /** Stores a callback request; false if the call already has one. */
  async insertCallback(request: { callId: string; studentId: string; name: string; note: string | null }): Promise<string | null> {
    const id = randomUUID();
    try {
      await this.db
        .insertInto('callback_requests')
        .values({ id, call_id: request.callId, student_id: request.studentId, name: request.name, note: request.note, created_at: new Date().toISOString(), done_at: null, done_by: null })
        .execute();
      return id;
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }
}

/** Whether a database error is a unique-constraint violation (PostgreSQL or SQLite). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
