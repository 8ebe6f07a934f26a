import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import type { CallState, WaitingCall } from '@switchboard/call-domain';
import { isUniqueViolation } from '../database/database-errors';
import { InjectDatabase } from '../database/database.module';
import { runPrepared } from '../database/prepared-queries';
import type { CallRow, Database } from '../database/schema';

/** How many recent answers the wait estimate averages. */
export const RECENT_ANSWERS = 20;

/** An inbound call answered: when, and how long it waited (what wait estimates are made from). */
export interface RecentAnswer {
  callId: string;
  answeredAt: string;
  queueMs: number;
}

/**
 * Reads of the call records (`calls` and their passes in `call_events`), and callback
 * requests. Calls change only through the ledger (ledger/call-ledger.ts).
 */
@Injectable()
export class CallRecords {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** The call with this id, if any. */
  async get(callId: string): Promise<CallRow | undefined> {
    return (await runPrepared(this.db, 'records.get', [callId], ([id]) => this.db.selectFrom('calls').selectAll().where('id', '=', id as string))).rows[0];
  }

  /** Calls waiting for an agent (queued or ringing; not a callback ringing at a student), oldest first: who calls, since when. */
  async waiting(): Promise<Pick<CallRow, 'id' | 'caller_id' | 'queued_at'>[]> {
    const found = await runPrepared(this.db, 'records.waiting', ['queued', 'ringing', 'inbound'], ([queued, ringing, inbound]) =>
      this.db
        .selectFrom('calls')
        .select(['id', 'caller_id', 'queued_at'])
        .where('outcome', 'is', null)
        .where('state', 'in', [queued, ringing] as CallState[])
        .where('direction', '=', inbound as 'inbound')
        .orderBy('queued_at')
        .orderBy('id'),
    );
    return found.rows;
  }

  /** Queued calls (not ringing) with the agents who declined or missed each (and when), for routing. */
  async queuedForRouting(): Promise<WaitingCall[]> {
    // Every queued call (no page limit: a head of calls every free agent passed on must not hide
    // the ones behind it), and their passes by a join rather than a list of ids.
    const calls = await this.db.selectFrom('calls').select(['id', 'queued_at']).where('outcome', 'is', null).where('state', '=', 'queued').orderBy('queued_at').orderBy('id').execute();
    if (calls.length === 0) return [];
    const rows = await this.db
      .selectFrom('call_events')
      .innerJoin('calls', 'calls.id', 'call_events.call_id')
      .select(['call_events.call_id', 'call_events.actor_id', 'call_events.type', 'call_events.at'])
      .where('calls.outcome', 'is', null)
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

  /** The caller's calls that are not over (`db`: a ledger transaction's, inside one). */
  async activeOfCaller(callerId: string, db: Kysely<Database> = this.db): Promise<CallRow[]> {
    // `outcome is null` (a call not over: it has no outcome yet), the very condition of the
    // partial unique index on caller_id (migration 0028), so both databases use it: a student's
    // years of ended calls are never read. It takes no parameter, as a partial index's condition
    // must not (neither planner may use the index on a bound value).
    const found = await runPrepared(db, 'records.activeOfCaller', [callerId], ([id]) => db.selectFrom('calls').selectAll().where('caller_id', '=', id as string).where('outcome', 'is', null));
    return found.rows;
  }

  /** Every call that is not over. */
  async active(): Promise<CallRow[]> {
    // Without an outcome (the calls not over): found on the `(outcome, queued_at, id)` index among millions of ended calls.
    return this.db.selectFrom('calls').selectAll().where('outcome', 'is', null).where('state', 'in', ['queued', 'ringing', 'accepted', 'connected']).execute();
  }

  /**
   * The place in line of call `callId`, queued at `queuedAt` (the waiting calls' order: queue
   * time, then id), or null if it is not waiting — one count on the waiting calls' index.
   */
  async placeInLine(callId: string, queuedAt: string): Promise<number | null> {
    // The values in the order the statement takes them: the select list's first.
    const values = [callId, 'queued', 'ringing', 'inbound', queuedAt, queuedAt, callId];
    const { rows } = await runPrepared(this.db, 'records.placeInLine', values, ([self, queued, ringing, inbound, at, sameAt, id]) =>
      this.db
        .selectFrom('calls')
        .select((eb) => [eb.fn.countAll<number | string>().as('place'), sql<number | string | null>`sum(case when id = ${self} then 1 else 0 end)`.as('waiting')])
        .where('outcome', 'is', null)
        .where('state', 'in', [queued, ringing] as CallState[])
        .where('direction', '=', inbound as 'inbound')
        .where((eb) => eb.or([eb('queued_at', '<', at as string), eb.and([eb('queued_at', '=', sameAt as string), eb('id', '<=', id as string)])])),
    );
    return Number(rows[0]?.waiting ?? 0) > 0 ? Number(rows[0].place) : null;
  }

  /** The last {@link RECENT_ANSWERS} inbound calls answered, newest first: when, and how long each waited. */
  async recentAnswers(): Promise<RecentAnswer[]> {
    const { rows } = await runPrepared(this.db, 'records.recentAnswers', ['inbound', RECENT_ANSWERS], ([inbound, limit]) =>
      this.db
        .selectFrom('calls')
        .select(['id', 'answered_at', 'queue_ms'])
        .where('answered_at', 'is not', null)
        .where('queue_ms', 'is not', null)
        .where('direction', '=', inbound as 'inbound')
        .orderBy('answered_at', 'desc')
        .limit(limit as number),
    );
    return rows.map((r) => ({ callId: r.id, answeredAt: r.answered_at ?? '', queueMs: Number(r.queue_ms) }));
  }

  /** Stores a callback request; false if the call already has one. */
  async insertCallback(request: { callId: string; studentId: string; name: string; note: string | null }, db: Kysely<Database> = this.db): Promise<string | null> {
    const id = randomUUID();
    try {
      await db
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
