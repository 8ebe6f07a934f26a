import { Injectable } from '@nestjs/common';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import {
  CALLER_HISTORY_LIMIT,
  handleFigures,
  type AgentFigures,
  type CallerContext,
  type CallListQuery,
  type CallRecord,
  type Page,
  type SessionUser,
} from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { CallRow, Database } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { CallbackRequestsService } from '../calls/callback-requests.service';
import { CallHistoryService } from '../supervisor/call-history.service';
import { callFilters, toCallRecord } from '../supervisor/call-queries';
import { agentMissedOffers } from '../supervisor/missed-offers';

/**
 * What the agent's desk reads besides the call itself: the caller's context while a call
 * rings or is taken, and the agent's own calls and figures. Each read is limited to what the
 * agent may see (their own calls; a caller only while their call is theirs).
 */
@Injectable()
export class DeskQueries {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly history: CallHistoryService,
    private readonly callbacks: CallbackRequestsService,
  ) {}

  /**
   * The caller's earlier calls and open callback requests, for the agent the call rings for or
   * who accepted it (or a supervisor).
   *
   * @throws ProblemException not_found, or forbidden for anyone else
   */
  async callerContext(user: SessionUser, callId: string): Promise<CallerContext> {
    const call = await this.db.selectFrom('calls').select(['id', 'caller_id', 'caller_name', 'queued_at', 'agent_id', 'ringing_agent_id']).where('id', '=', callId).executeTakeFirst();
    if (!call) throw new ProblemException('not_found', `There is no call with id "${callId}"`);
    const ownsCall = call.agent_id === user.id || call.ringing_agent_id === user.id;
    if (user.role !== 'supervisor' && !ownsCall) throw new ProblemException('forbidden', 'Only the agent this call is offered to or taken by may see its caller');
    const { latest, countWithCall } = earlierCallsOf(this.db, call);
    const [rows, counted, openCallbacks] = await Promise.all([
      latest.execute(),
      countWithCall.executeTakeFirstOrThrow(),
      this.callbacks.openOf(call.caller_id),
    ]);
    return { callId: call.id, callerId: call.caller_id, callerName: call.caller_name, previousCalls: rows.map(toCallRecord), previousCallCount: Math.max(0, Number(counted.n) - 1), openCallbacks };
  }

  /** One page of the agent's own calls (the history's filters, the agent fixed to them). */
  ownCalls(agent: SessionUser, query: Omit<CallListQuery, 'agentId'>): Promise<Page<CallRecord>> {
    return this.history.list({ ...query, agentId: agent.id });
  }

  /** The agent's handled calls, AHT and missed offers over `from`–`to`. */
  async figures(agent: SessionUser, from: string, to: string): Promise<AgentFigures> {
    const period = { from, to, agentId: agent.id };
    const [calls, missed] = await Promise.all([
      this.db
        .selectFrom('calls')
        .selectAll()
        .where((eb) => callFilters(eb, period))
        .execute(),
      agentMissedOffers(this.db, agent.id, period).executeTakeFirstOrThrow(),
    ]);
    return { from, to, ...handleFigures(calls.map(toCallRecord)), missed: Number(missed.n) };
  }
}

/**
 * A caller's calls placed before `call` (read on every offer, for the incoming-call dialog):
 * the latest {@link CALLER_HISTORY_LIMIT}, and how many with `call` itself (one less is the
 * figure: counted so, the count reads the index alone, where leaving `call` out by its id would
 * look up every row). By caller alone, whatever name they gave, on 0002's
 * `calls_caller_queued_at_idx` `(caller_id, queued_at)`: SQLite walks it backwards and stops at
 * the limit (sorting only the calls of one instant by id); PostgreSQL reads the caller's range
 * and keeps the latest. `calls_caller_sort_idx` puts the name before the time: on it SQLite
 * would read and sort every call of the caller.
 */
export function earlierCallsOf(
  db: Kysely<Database>,
  call: Pick<CallRow, 'id' | 'caller_id' | 'queued_at'>,
): { latest: SelectQueryBuilder<Database, 'calls', CallRow>; countWithCall: SelectQueryBuilder<Database, 'calls', { n: string | number }> } {
  const byCaller = db.selectFrom('calls').where('caller_id', '=', call.caller_id).where('queued_at', '<=', call.queued_at);
  return {
    latest: byCaller.where('id', '<>', call.id).selectAll().orderBy('queued_at', 'desc').orderBy('id', 'desc').limit(CALLER_HISTORY_LIMIT),
    countWithCall: byCaller.select((eb) => eb.fn.countAll<string | number>().as('n')),
  };
}
