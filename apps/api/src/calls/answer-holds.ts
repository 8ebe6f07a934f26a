import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { AnswerMessage, CandidateMessage } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { runPrepared } from '../database/prepared-queries';
import type { Database } from '../database/schema';
import { byCallInLockOrder, GroupCommit } from './group-commit';
import { CallLedger } from './ledger/call-ledger';
import { insertRows, MAX_HELD_CANDIDATES } from './signal-holds';

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

  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly ledger: CallLedger,
  ) {}

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
    const { rows } = await runPrepared(this.db, 'answerHolds.held', [callId], ([id]) => this.db.selectFrom('call_answer_signals').selectAll().where('call_id', '=', id as string).orderBy('created_at'));
    const ordered = [...rows.filter((r) => r.kind === 'answer'), ...rows.filter((r) => r.kind === 'candidate')];
    return ordered.map((r) => ({ kind: r.kind, ...JSON.parse(r.payload) }) as never);
  }

  private write(batch: readonly AnswerHold[]): Promise<void> {
    // A unit of the ledger's transaction, like the caller's holds (SignalHolds).
    return this.ledger.run(async ({ db: trx }) => {
      for (const [callId, holds] of byCallInLockOrder(batch, (hold) => hold.message.callId)) {
        let rows: unknown[][] = [];
        const countStored = async (): Promise<number> =>
          Number(
            (await runPrepared(trx, 'answerHolds.count', [callId], ([id]) =>
              trx.selectFrom('call_answer_signals').select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).where('call_id', '=', id as string),
            )).rows[0]?.count ?? 0,
          );
        /** How many rows the call has stored, as last counted (null: count when a candidate needs it). */
        let stored: number | null = null;
        for (const { kind, message } of holds) {
          const negotiationId = message.negotiationId ?? null;
          if (kind === 'answer') {
            // The held answer goes, and whatever is held of another negotiation: nothing to
            // delete when nothing is stored (the call's first answer). Counted now, not with a
            // candidate's earlier count: another node may have stored rows since.
            stored = await countStored();
            if (stored > 0) {
              await this.deleteReplaced(trx, callId, negotiationId);
              stored = null;
            }
            // What this batch holds of other negotiations goes too.
            rows = rows.filter((r) => r[2] === 'candidate' && r[4] === negotiationId);
          } else if ((stored ??= await countStored()) + rows.length > MAX_HELD_CANDIDATES) {
            continue;
          }
          rows.push([callId, message.messageId, kind, JSON.stringify(message), negotiationId, new Date().toISOString()]);
        }
        if (rows.length > 0) await insertRows(trx, 'call_answer_signals', ANSWER_COLUMNS, rows);
      }
    });
  }

  /** Deletes the held answer of `callId` and whatever is held of a negotiation other than `negotiationId`. */
  private async deleteReplaced(trx: Kysely<Database>, callId: string, negotiationId: string | null): Promise<void> {
    if (negotiationId === null) {
      await runPrepared(trx, 'answerHolds.replaceUnnegotiated', [callId, 'answer'], ([id, answer]) =>
        trx
          .deleteFrom('call_answer_signals')
          .where('call_id', '=', id as string)
          .where((eb) => eb.or([eb('kind', '=', answer as 'answer'), eb('negotiation_id', 'is not', null)])),
        UNREAD,
      );
      return;
    }
    await runPrepared(trx, 'answerHolds.replace', [callId, 'answer', negotiationId], ([id, answer, negotiation]) =>
      trx
        .deleteFrom('call_answer_signals')
        .where('call_id', '=', id as string)
        .where((eb) => eb.or([eb('kind', '=', answer as 'answer'), eb('negotiation_id', 'is', null), eb('negotiation_id', '!=', negotiation as string)])),
      UNREAD,
    );
  }
}

/** The held answer's deletes are not read back: on PostgreSQL they go out with the next statement. */
const UNREAD = { resultUnread: true } as const;

/** The columns of a held answer or candidate, in the order {@link insertRows} is given them. */
const ANSWER_COLUMNS = ['call_id', 'message_id', 'kind', 'payload', 'negotiation_id', 'created_at'] as const;
