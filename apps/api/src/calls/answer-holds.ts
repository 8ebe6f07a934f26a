import { Injectable } from '@nestjs/common';
import type { Insertable, Kysely } from 'kysely';
import type { AnswerMessage, CandidateMessage } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { runUnread } from '../database/prepared-queries';
import type { CallAnswerSignalsTable, Database } from '../database/schema';
import { byCallInLockOrder, GroupCommit } from './group-commit';
import { MAX_HELD_CANDIDATES } from './signal-holds';

interface AnswerHold {
  kind: 'answer' | 'candidate';
  message: AnswerMessage | CandidateMessage;
}

/**
 * Holds the accepted agent's answer and candidates in `call_answer_signals` until media
 * connects or the call ends (the ledger drops them with the caller's held signals), so a
 * caller whose socket comes back as a new one — not recovered by Socket.IO, e.g. after its
 * node restarted — still gets them. A socket that recovered got them from Socket.IO itself.
 * An answer of a new negotiation replaces what was held of earlier ones.
 */
@Injectable()
export class AnswerHolds {
  private readonly writes = new GroupCommit<AnswerHold>((batch) => this.write(batch));

  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /**
   * Holds the answer (dropping earlier negotiations' signals) or a candidate (up to
   * MAX_HELD_CANDIDATES); resolves once it is stored. Holds are group-committed like the
   * caller's ({@link GroupCommit}): an agent's answer and candidates of many calls share a
   * transaction.
   */
  hold(kind: 'answer' | 'candidate', message: AnswerMessage | CandidateMessage): Promise<void> {
    return this.writes.add({ kind, message });
  }

  /** The held answer, then the held candidates, in the order they arrived. */
  async held(callId: string): Promise<({ kind: 'answer' } & AnswerMessage | { kind: 'candidate' } & CandidateMessage)[]> {
    await this.writes.flushed();
    const rows = await this.db.selectFrom('call_answer_signals').selectAll().where('call_id', '=', callId).orderBy('created_at').execute();
    const ordered = [...rows.filter((r) => r.kind === 'answer'), ...rows.filter((r) => r.kind === 'candidate')];
    return ordered.map((r) => ({ kind: r.kind, ...JSON.parse(r.payload) }) as never);
  }

  private write(batch: readonly AnswerHold[]): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      for (const [callId, holds] of byCallInLockOrder(batch, (hold) => hold.message.callId)) {
        let rows: Insertable<CallAnswerSignalsTable>[] = [];
        /** How many rows the call has stored (read when a candidate first needs it). */
        let stored: number | null = null;
        for (const { kind, message } of holds) {
          const negotiationId = message.negotiationId ?? null;
          if (kind === 'answer') {
            await runUnread(
              trx,
              trx
                .deleteFrom('call_answer_signals')
                .where('call_id', '=', callId)
                .where((eb) => eb.or([eb('kind', '=', 'answer'), negotiationId === null ? eb('negotiation_id', 'is not', null) : eb.or([eb('negotiation_id', 'is', null), eb('negotiation_id', '!=', negotiationId)])])),
            );
            // What this batch holds of other negotiations goes too.
            rows = rows.filter((r) => r.kind === 'candidate' && r.negotiation_id === negotiationId);
            stored = null;
          } else {
            stored ??= Number((await trx.selectFrom('call_answer_signals').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).where('call_id', '=', callId).executeTakeFirstOrThrow()).count);
            if (stored + rows.length > MAX_HELD_CANDIDATES) continue;
          }
          rows.push({ call_id: callId, message_id: message.messageId, kind, payload: JSON.stringify(message), negotiation_id: negotiationId, created_at: new Date().toISOString() });
        }
        if (rows.length > 0) await runUnread(trx, trx.insertInto('call_answer_signals').values(rows).onConflict((oc) => oc.columns(['call_id', 'message_id']).doNothing()));
      }
    });
  }
}
