import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { CallDetail, CallListQuery, CallRecord, Page } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { toCallQualitySummary } from '../calls/call-quality.service';
import { callFilters, inCallOrder, toCallRecord, toTimelineEvent } from './call-queries';

/** Reads stored calls for supervisors: filtered, sorted pages and one call's whole timeline. */
@Injectable()
export class CallHistoryService {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /**
   * One page of the calls matching the filters, sorted by `sort` then by queue time and id
   * (same direction) so pages never overlap; nulls sort last either way.
   */
  async list(query: CallListQuery): Promise<Page<CallRecord>> {
    const rows = inCallOrder(
      this.db
        .selectFrom('calls')
        .selectAll('calls')
        .where((eb) => callFilters(eb, query)),
      query.sort,
      query.dir,
    );
    const [items, counted] = await Promise.all([
      rows
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize)
        .execute(),
      this.db
        .selectFrom('calls')
        .where((eb) => callFilters(eb, query))
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { items: items.map(toCallRecord), total: Number(counted.n), page: query.page, pageSize: query.pageSize };
  }

  /** One call, its timeline in order and its quality summary. @throws ProblemException not_found */
  async detail(id: string): Promise<CallDetail> {
    const row = await this.db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new ProblemException('not_found', `There is no call with id "${id}"`);
    const [events, quality] = await Promise.all([
      this.db.selectFrom('call_events').select(['at', 'type', 'actor_id', 'actor_name', 'detail']).where('call_id', '=', id).orderBy('seq').execute(),
      this.db.selectFrom('call_quality').selectAll().where('call_id', '=', id).executeTakeFirst(),
    ]);
    return { ...toCallRecord(row), timeline: events.map(toTimelineEvent), quality: quality ? toCallQualitySummary(quality) : null };
  }
}
