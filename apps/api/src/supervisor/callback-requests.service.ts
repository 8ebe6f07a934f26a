import { Injectable } from '@nestjs/common';
import type { Kysely, Selectable } from 'kysely';
import type { CallbackListQuery, CallbackRequest, CallbackStatus, Page, SessionUser } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { CallbackRequestsTable, Database } from '../database/schema';
import { ProblemException } from '../errors/problem';

/** A callback request row with the name of who marked it done. */
type CallbackRow = Selectable<CallbackRequestsTable> & { done_by_name: string | null };

function toCallbackRequest(r: CallbackRow): CallbackRequest {
  return { id: r.id, callId: r.call_id, studentId: r.student_id, name: r.name, note: r.note, createdAt: r.created_at, doneAt: r.done_at, doneById: r.done_by, doneByName: r.done_by_name };
}

/** Callback requests as supervisors work through them. */
@Injectable()
export class CallbackRequestsService {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** One page of requests: open ones oldest first (next to call), done or all newest first. */
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
    return { items: rows.map(toCallbackRequest), total: Number(counted.n), page: query.page, pageSize: query.pageSize };
  }

  /**
   * Marks a request done by `user`, now. Marking a done request again changes nothing and
   * answers it as it is (so two supervisors clicking at once both see who did it).
   *
   * @throws ProblemException not_found
   */
  async markDone(id: string, user: SessionUser, now = new Date()): Promise<CallbackRequest> {
    await this.db
      .updateTable('callback_requests')
      .set({ done_at: now.toISOString(), done_by: user.id })
      .where('id', '=', id)
      .where('done_at', 'is', null)
      .execute();
    const row = await this.requests('all').where('cb.id', '=', id).executeTakeFirst();
    if (!row) throw new ProblemException('not_found', `There is no callback request with id "${id}"`);
    return toCallbackRequest(row);
  }

  /** A student's requests not yet done, oldest first (for the agent who has them on the line). */
  async openOf(studentId: string): Promise<CallbackRequest[]> {
    const rows = await this.requests('open').where('cb.student_id', '=', studentId).orderBy('cb.created_at').orderBy('cb.id').execute();
    return rows.map(toCallbackRequest);
  }

  private requests(status: CallbackStatus) {
    return this.db
      .selectFrom('callback_requests as cb')
      .leftJoin('users as done_user', 'done_user.id', 'cb.done_by')
      .select(['cb.id', 'cb.call_id', 'cb.student_id', 'cb.name', 'cb.note', 'cb.created_at', 'cb.done_at', 'cb.done_by', 'done_user.display_name as done_by_name'])
      .$if(status === 'open', (qb) => qb.where('cb.done_at', 'is', null))
      .$if(status === 'done', (qb) => qb.where('cb.done_at', 'is not', null));
  }
}
