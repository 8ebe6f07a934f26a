import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { CallbackEvent, CallbackListQuery, CallbackRecord, CallbackRequest, CallbackStatus, Page, SessionUser } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { runPrepared } from '../database/prepared-queries';
import type { CallbackEventsTable, CallbackRequestsTable, Database } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { CallLedger, type EventActor, type LedgerTransaction } from './ledger/call-ledger';
import { SocketRooms } from './socket-rooms';

/** A callback request row with the names of who took it and who marked it done, and its counts. */
type CallbackRow = Selectable<CallbackRequestsTable> & { done_by_name: string | null; taken_by_name: string | null; attempts: number | string | null; active_call_id: string | null };

function toCallbackRequest(r: CallbackRow): CallbackRequest {
  return {
    id: r.id,
    callId: r.call_id,
    studentId: r.student_id,
    name: r.name,
    note: r.note,
    createdAt: r.created_at,
    doneAt: r.done_at,
    doneById: r.done_by,
    doneByName: r.done_by_name,
    takenById: r.taken_by,
    takenByName: r.taken_by_name,
    takenAt: r.taken_at,
    attempts: Number(r.attempts ?? 0),
    activeCallId: r.active_call_id,
  };
}

/** What a new entry of a callback request's life says. */
export interface CallbackEventInput {
  callbackId: string;
  type: Selectable<CallbackEventsTable>['type'];
  actor: EventActor | null;
  note?: string | null;
  callId?: string | null;
}

/** In a ledger transaction: appends an entry to a callback request's life, published as `callbackChanged`. */
export async function addCallbackEvent(tx: LedgerTransaction, input: CallbackEventInput): Promise<void> {
  await tx.db
    .insertInto('callback_events')
    .values({ id: randomUUID(), callback_id: input.callbackId, at: tx.nowIso, type: input.type, actor_id: input.actor?.id ?? null, actor_name: input.actor?.name ?? null, note: input.note ?? null, call_id: input.callId ?? null })
    .execute();
  tx.publish({ type: 'callbackChanged', callbackId: input.callbackId, callId: input.callId ?? null });
}

/**
 * Callback requests as agents and supervisors work through them: an agent takes one (the others
 * see it taken), calls the student back (`CallbackCalls`) or records an attempt with a note, and
 * marks it done; every step is an entry of its life (`callback_events`), written in a ledger
 * transaction that publishes `callbackChanged`.
 */
@Injectable()
export class CallbackRequestsService {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly ledger: CallLedger,
    private readonly rooms: SocketRooms,
  ) {}

  /** One page of requests: open ones oldest first (next to call), done or all newest first; with whether each student is signed in. */
  async list(query: CallbackListQuery): Promise<Page<CallbackRequest>> {
    const dir = query.status === 'open' ? 'asc' : 'desc';
    const [rows, counted] = await Promise.all([
      this.requests(query.status)
        .orderBy('cb.created_at', dir)
        .orderBy('cb.id', dir)
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      this.db
        .selectFrom('callback_requests as cb')
        .$if(query.status === 'open', (qb) => qb.where('cb.done_at', 'is', null))
        .$if(query.status === 'done', (qb) => qb.where('cb.done_at', 'is not', null))
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { items: await Promise.all(rows.map((r) => this.withPresence(toCallbackRequest(r)))), total: Number(counted.n), page: query.page, pageSize: query.pageSize };
  }

  /** One request as it stands now, with whether its student is signed in. @throws ProblemException not_found */
  async get(id: string): Promise<CallbackRequest> {
    return this.withPresence(await this.stored(id));
  }

  /** One request with its whole life, oldest first. @throws ProblemException not_found */
  async record(id: string): Promise<CallbackRecord> {
    const request = await this.get(id);
    const rows = await this.db
      .selectFrom('callback_events as e')
      .leftJoin('calls', 'calls.id', 'e.call_id')
      .select(['e.at', 'e.type', 'e.actor_id', 'e.actor_name', 'e.note', 'e.call_id', 'calls.outcome'])
      .where('e.callback_id', '=', id)
      .orderBy('e.at')
      .orderBy('e.id')
      .execute();
    const requested: CallbackEvent = { at: request.createdAt, type: 'requested', actorId: request.studentId, actorName: request.name, note: request.note, callId: request.callId, callOutcome: null };
    const life = rows.map((r): CallbackEvent => ({ at: r.at, type: r.type, actorId: r.actor_id, actorName: r.actor_name, note: r.note, callId: r.call_id, callOutcome: r.outcome }));
    // Rows written in one transaction share a timestamp: a placed call comes before the attempt it made.
    return { ...request, life: [requested, ...life] };
  }

  /**
   * The agent takes an open request: from now on only they may call or record attempts. Taking
   * it again is fine; one another agent took is a `conflict` naming them.
   */
  async take(id: string, agent: SessionUser): Promise<CallbackRequest> {
    await this.ledger.run(async (tx) => {
      const row = await this.open(tx, id);
      if (row.taken_by === agent.id) return;
      if (row.taken_by !== null) throw new ProblemException('conflict', 'Another agent took this callback request');
      const result = await tx.db.updateTable('callback_requests').set({ taken_by: agent.id, taken_at: tx.nowIso }).where('id', '=', id).where('taken_by', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new ProblemException('conflict', 'Another agent took this callback request');
      await addCallbackEvent(tx, { callbackId: id, type: 'taken', actor: { id: agent.id, name: agent.displayName } });
    });
    return this.get(id);
  }

  /** The agent who took the request records an attempt (a call outside the portal, a message left…) with a note. */
  async recordAttempt(id: string, agent: SessionUser, note: string): Promise<CallbackRequest> {
    await this.ledger.run(async (tx) => {
      await this.takenBy(tx, id, agent);
      await addCallbackEvent(tx, { callbackId: id, type: 'attempt', actor: { id: agent.id, name: agent.displayName }, note });
    });
    return this.get(id);
  }

  /**
   * Marks a request done by `user`, now: a supervisor, or the agent who took it. Marking a done
   * request again changes nothing and answers it as it is (so two people clicking at once both
   * see who did it).
   *
   * @throws ProblemException not_found, forbidden (an agent who did not take it)
   */
  async markDone(id: string, user: SessionUser): Promise<CallbackRequest> {
    await this.ledger.run(async (tx) => {
      const row = await tx.db.selectFrom('callback_requests').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new ProblemException('not_found', `There is no callback request with id "${id}"`);
      if (row.done_at !== null) return;
      if (user.role !== 'supervisor' && row.taken_by !== user.id) throw new ProblemException('forbidden', 'Only the agent who took this callback request (or a supervisor) may mark it done');
      const result = await tx.db.updateTable('callback_requests').set({ done_at: tx.nowIso, done_by: user.id }).where('id', '=', id).where('done_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) await addCallbackEvent(tx, { callbackId: id, type: 'done', actor: { id: user.id, name: user.displayName } });
    });
    return this.get(id);
  }

  /** A student's requests not yet done, oldest first (for the agent who has them on the line). */
  async openOf(studentId: string): Promise<CallbackRequest[]> {
    // Read whenever a student signs in or out and when an agent has one on the line: prepared.
    const { rows } = await runPrepared(this.db, 'callbacks.openOf', [studentId], ([id]) =>
      this.requests('open').where('cb.student_id', '=', id as string).orderBy('cb.created_at').orderBy('cb.id'),
    );
    return rows.map(toCallbackRequest);
  }

  /**
   * A student signed in or out (their first socket connected, or their last one left): agents
   * and supervisors see whether each of their open requests can be called back now.
   */
  async studentPresenceChanged(studentId: string): Promise<void> {
    for (const request of await this.openOf(studentId)) this.rooms.toQueueWatchers().emit('callbackChanged', await this.withPresence(request));
  }

  /**
   * In a ledger transaction: the open request `id`, which `agent` took.
   *
   * @throws ProblemException not_found, invalid_state (done), forbidden (not taken by them)
   */
  async takenBy(tx: LedgerTransaction, id: string, agent: SessionUser): Promise<Selectable<CallbackRequestsTable>> {
    const row = await this.open(tx, id);
    if (row.taken_by !== agent.id) throw new ProblemException('forbidden', 'Only the agent who took this callback request may work on it; take it first');
    return row;
  }

  private async open(tx: LedgerTransaction, id: string): Promise<Selectable<CallbackRequestsTable>> {
    const row = await tx.db.selectFrom('callback_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new ProblemException('not_found', `There is no callback request with id "${id}"`);
    if (row.done_at !== null) throw new ProblemException('invalid_state', 'This callback request is already done');
    return row;
  }

  private async stored(id: string): Promise<CallbackRequest> {
    const row = await this.requests('all').where('cb.id', '=', id).executeTakeFirst();
    if (!row) throw new ProblemException('not_found', `There is no callback request with id "${id}"`);
    return toCallbackRequest(row);
  }

  private async withPresence(request: CallbackRequest): Promise<CallbackRequest> {
    return { ...request, studentOnline: request.doneAt === null && (await this.rooms.isConnected(request.studentId)) };
  }

  private requests(status: CallbackStatus) {
    return this.db
      .selectFrom('callback_requests as cb')
      .leftJoin('users as done_user', 'done_user.id', 'cb.done_by')
      .leftJoin('users as taken_user', 'taken_user.id', 'cb.taken_by')
      .select([
        'cb.id',
        'cb.call_id',
        'cb.student_id',
        'cb.name',
        'cb.note',
        'cb.created_at',
        'cb.done_at',
        'cb.done_by',
        'cb.taken_by',
        'cb.taken_at',
        'done_user.display_name as done_by_name',
        'taken_user.display_name as taken_by_name',
        sql<number>`(select count(*) from callback_events e where e.callback_id = cb.id and e.type = 'attempt')`.as('attempts'),
        sql<string | null>`(select c.id from calls c where c.callback_id = cb.id and c.outcome is null limit 1)`.as('active_call_id'),
      ])
      .$if(status === 'open', (qb) => qb.where('cb.done_at', 'is', null))
      .$if(status === 'done', (qb) => qb.where('cb.done_at', 'is not', null));
  }
}
