import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AnswerMessage, CandidateMessage } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import { MAX_HELD_CANDIDATES } from './signal-holds';

/**
 * Holds the accepted agent's answer and candidates in `call_answer_signals` until media
 * connects or the call ends (the ledger drops them with the caller's held signals), so a
 * caller whose socket comes back as a new one — not recovered by Socket.IO, e.g. after its
 * node restarted — still gets them. A socket that recovered got them from Socket.IO itself.
 * An answer of a new negotiation replaces what was held of earlier ones.
 */
@Injectable()
export class AnswerHolds {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** Holds the answer (dropping earlier negotiations' signals) or a candidate (up to MAX_HELD_CANDIDATES). */
  async hold(kind: 'answer' | 'candidate', message: AnswerMessage | CandidateMessage): Promise<void> {
    const negotiationId = message.negotiationId ?? null;
    await this.db.transaction().execute(async (trx) => {
      if (kind === 'answer') {
        await trx
          .deleteFrom('call_answer_signals')
          .where('call_id', '=', message.callId)
          .where((eb) => eb.or([eb('kind', '=', 'answer'), negotiationId === null ? eb('negotiation_id', 'is not', null) : eb.or([eb('negotiation_id', 'is', null), eb('negotiation_id', '!=', negotiationId)])]))
          .execute();
      } else {
        const { count } = await trx.selectFrom('call_answer_signals').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).where('call_id', '=', message.callId).executeTakeFirstOrThrow();
        if (Number(count) > MAX_HELD_CANDIDATES) return;
      }
      await trx
        .insertInto('call_answer_signals')
        .values({ call_id: message.callId, message_id: message.messageId, kind, payload: JSON.stringify(message), negotiation_id: negotiationId, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['call_id', 'message_id']).doNothing())
        .execute();
    });
  }

  /** The held answer, then the held candidates, in the order they arrived. */
  async held(callId: string): Promise<({ kind: 'answer' } & AnswerMessage | { kind: 'candidate' } & CandidateMessage)[]> {
    const rows = await this.db.selectFrom('call_answer_signals').selectAll().where('call_id', '=', callId).orderBy('created_at').execute();
    const ordered = [...rows.filter((r) => r.kind === 'answer'), ...rows.filter((r) => r.kind === 'candidate')];
    return ordered.map((r) => ({ kind: r.kind, ...JSON.parse(r.payload) }) as never);
  }
}
