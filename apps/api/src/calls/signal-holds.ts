import { Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import type { CandidateMessage, OfferMessage, SignalMessage } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { runUnread } from '../database/prepared-queries';
import type { Database } from '../database/schema';
import { byCallInLockOrder, GroupCommit } from './group-commit';

/** At most this many of a call's ICE candidates are held for re-sending (a browser gathers a handful). */
export const MAX_HELD_CANDIDATES = 64;

interface PendingHold {
  kind: 'offer' | 'candidate';
  message: OfferMessage | CandidateMessage;
  negotiationId: string | null;
}

/**
 * Holds the caller's signaling of the current negotiation in `call_signals` until media
 * connects or the call ends, so an agent who accepts in another tab or after a reload still
 * gets it. Holds are group-committed: every hold that arrives while a write is in flight goes
 * into the next one (one transaction for a burst of candidates of many calls), and each
 * {@link hold} resolves once its row is stored, so an acknowledged message is held.
 */
@Injectable()
export class SignalHolds {
  private readonly writes = new GroupCommit<PendingHold>((batch) => this.write(batch));

  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /**
   * Holds the offer (replacing the negotiation's earlier one) or a candidate (up to
   * {@link MAX_HELD_CANDIDATES} per call; beyond that it is only relayed live).
   */
  hold(kind: 'offer' | 'candidate', message: OfferMessage | CandidateMessage, negotiationId: string | null): Promise<void> {
    return this.writes.add({ kind, message, negotiationId });
  }

  /** The held offer, then the held candidates, in the order they arrived. */
  async held(callId: string): Promise<SignalMessage[]> {
    await this.writes.flushed();
    const rows = await this.db.selectFrom('call_signals').selectAll().where('call_id', '=', callId).orderBy('seq').execute();
    const ordered = [...rows.filter((r) => r.kind === 'offer'), ...rows.filter((r) => r.kind === 'candidate')];
    return ordered.map((r) => ({ kind: r.kind, ...JSON.parse(r.payload) }) as SignalMessage);
  }

  private write(batch: readonly PendingHold[]): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      for (const [callId, holds] of byCallInLockOrder(batch, (hold) => hold.message.callId)) {
        // A call's holds take turns across nodes (a row lock on the call on PostgreSQL; SQLite
        // has one writer), so the count and the next sequence number are not raced.
        await runUnread(trx, trx.updateTable('calls').set((eb) => ({ id: eb.ref('id') })).where('id', '=', callId));
        const stats = await trx
          .selectFrom('call_signals')
          .select((eb) => [eb.fn.max('seq').as('last'), sql<number | string | bigint>`sum(case when kind = 'candidate' then 1 else 0 end)`.as('count')])
          .where('call_id', '=', callId)
          .executeTakeFirstOrThrow();
        let seq = Number(stats.last ?? 0);
        let candidates = Number(stats.count ?? 0);
        const rows = [];
        for (const hold of holds) {
          if (hold.kind === 'offer') {
            // A new offer replaces the held one and whatever of another negotiation is held,
            // stored or earlier in this batch.
            const removed = await trx.deleteFrom('call_signals').where('call_id', '=', callId).where((eb) => eb.or([eb('kind', '=', 'offer'), eb('negotiation_id', 'is', null), eb('negotiation_id', '!=', hold.negotiationId ?? '')])).executeTakeFirst();
            const kept = rows.filter((r) => r.kind === 'candidate' && r.negotiation_id === hold.negotiationId);
            candidates = Math.max(0, candidates - Number(removed.numDeletedRows) - (rows.length - kept.length));
            rows.splice(0, rows.length, ...kept);
          } else if (candidates >= MAX_HELD_CANDIDATES) {
            continue;
          } else {
            candidates++;
          }
          rows.push({ call_id: callId, message_id: hold.message.messageId, kind: hold.kind, payload: JSON.stringify(hold.message), created_at: new Date().toISOString(), seq: ++seq, negotiation_id: hold.negotiationId });
        }
        if (rows.length > 0) await runUnread(trx, trx.insertInto('call_signals').values(rows).onConflict((oc) => oc.columns(['call_id', 'message_id']).doNothing()));
      }
    });
  }
}
