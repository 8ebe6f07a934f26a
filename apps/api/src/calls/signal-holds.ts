import { Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import type { CandidateMessage, OfferMessage, SignalMessage } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import { changedRows, runPrepared } from '../database/prepared-queries';
import type { Database } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { byCallInLockOrder, GroupCommit } from './group-commit';
import { CallLedger, type EventActor } from './ledger/call-ledger';

/** At most this many of a call's ICE candidates are held for re-sending (a browser gathers a handful). */
export const MAX_HELD_CANDIDATES = 64;

/**
 * The negotiation a held offer starts: made the call's current one in the transaction that
 * holds the offer (see `LedgerTransaction.startNegotiation`), with a timeline entry when it says
 * why (an ICE restart, a resumed call).
 */
export interface NegotiationStart {
  timeline: { type: 'ice_restarted' | 'resumed'; actor: EventActor } | null;
}

interface PendingHold {
  kind: 'offer' | 'candidate';
  message: OfferMessage | CandidateMessage;
  negotiationId: string | null;
  start: NegotiationStart | null;
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

  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly ledger: CallLedger,
  ) {}

  /**
   * Holds the offer (replacing the negotiation's earlier one) or a candidate (up to
   * {@link MAX_HELD_CANDIDATES} per call; beyond that it is only relayed live). An offer with
   * `start` also makes `negotiationId` the call's current negotiation, in the same
   * transaction; it fails with `invalid_state` (nothing held) once the call has ended.
   */
  hold(kind: 'offer' | 'candidate', message: OfferMessage | CandidateMessage, negotiationId: string | null, start: NegotiationStart | null = null): Promise<void> {
    return this.writes.add({ kind, message, negotiationId, start });
  }

  /**
   * The held offer, then the held candidates, in the order they arrived: the current
   * negotiation's (the last offer's). With the ones this node is still storing: they were
   * relayed live before they were stored, and a tab the call now rings at need not wait for
   * the commit to get them either.
   */
  async held(callId: string): Promise<SignalMessage[]> {
    const unwritten = this.writes.unwritten().filter((hold) => hold.message.callId === callId);
    const { rows } = await runPrepared(this.db, 'signalHolds.held', [callId], ([id]) => this.db.selectFrom('call_signals').selectAll().where('call_id', '=', id as string).orderBy('seq'));
    const signals = [
      ...rows.map((r) => ({ kind: r.kind, negotiationId: r.negotiation_id, message: JSON.parse(r.payload) as OfferMessage | CandidateMessage })),
      ...unwritten.map(({ kind, negotiationId, message }) => ({ kind, negotiationId, message })),
    ];
    const current = signals.filter((signal) => signal.kind === 'offer').pop()?.negotiationId;
    const ids = new Set<string>();
    const kept = signals.filter((signal) => (current === undefined || signal.negotiationId === current) && !ids.has(signal.message.messageId) && ids.add(signal.message.messageId));
    const ordered = [...kept.filter((signal) => signal.kind === 'offer').slice(-1), ...kept.filter((signal) => signal.kind === 'candidate')];
    return ordered.map(({ kind, message }) => ({ kind, ...message }) as SignalMessage);
  }

  private async write(batch: readonly PendingHold[]): Promise<unknown[]> {
    const refused = new Map<PendingHold, ProblemException>();
    // A unit of the ledger's transaction (on SQLite group-committed with the calls' moves,
    // instead of a commit of its own); it changes a call only when an offer starts a negotiation.
    await this.ledger.run(async (tx) => {
      const trx = tx.db;
      refused.clear();
      for (const [callId, holds] of byCallInLockOrder(batch, (hold) => hold.message.callId)) {
        // A call's holds take turns across nodes (a row lock on the call on PostgreSQL; SQLite
        // has one writer), so the count and the next sequence number are not raced.
        await tx.lockCall(callId);
        const stats = (
          await runPrepared(trx, 'signalHolds.stats', [callId], ([id]) =>
            trx
              .selectFrom('call_signals')
              .select((eb) => [eb.fn.max('seq').as('last'), sql<number | string | bigint>`sum(case when kind = 'candidate' then 1 else 0 end)`.as('count')])
              .where('call_id', '=', id as string),
          )
        ).rows[0];
        let seq = Number(stats?.last ?? 0);
        let candidates = Number(stats?.count ?? 0);
        // Nothing of the call stored yet (its first offer): an offer has nothing stored to replace.
        const anyStored = seq > 0;
        const rows: unknown[][] = [];
        for (const hold of holds) {
          if (hold.kind === 'offer') {
            if (hold.start && hold.negotiationId && !(await tx.startNegotiation(callId, hold.negotiationId, hold.start.timeline))) {
              refused.set(hold, new ProblemException('invalid_state', 'The call has ended'));
              continue;
            }
            // A new offer replaces the held one and whatever of another negotiation is held,
            // stored or earlier in this batch.
            const removed = anyStored
              ? changedRows(
                  await runPrepared(trx, 'signalHolds.replace', [callId, 'offer', hold.negotiationId ?? ''], ([id, offer, negotiationId]) =>
                    trx
                      .deleteFrom('call_signals')
                      .where('call_id', '=', id as string)
                      .where((eb) => eb.or([eb('kind', '=', offer as 'offer'), eb('negotiation_id', 'is', null), eb('negotiation_id', '!=', negotiationId as string)])),
                  ),
                )
              : 0;
            const kept = rows.filter((r) => r[2] === 'candidate' && r[6] === hold.negotiationId);
            candidates = Math.max(0, candidates - removed - (rows.length - kept.length));
            rows.splice(0, rows.length, ...kept);
          } else if (candidates >= MAX_HELD_CANDIDATES) {
            continue;
          } else {
            candidates++;
          }
          rows.push([callId, hold.message.messageId, hold.kind, JSON.stringify(hold.message), new Date().toISOString(), ++seq, hold.negotiationId]);
        }
        if (rows.length > 0) await insertRows(trx, 'call_signals', SIGNAL_COLUMNS, rows);
      }
    });
    return batch.map((hold) => refused.get(hold));
  }
}

/** The columns of a held signal, in the order {@link insertRows} is given them. */
const SIGNAL_COLUMNS = ['call_id', 'message_id', 'kind', 'payload', 'created_at', 'seq', 'negotiation_id'] as const;

/**
 * Inserts held signals (rows of values in `columns`' order), leaving out any whose
 * `(call_id, message_id)` is already held: a message sent again is held once. One statement
 * per table and row count, built once.
 */
export async function insertRows(trx: Kysely<Database>, table: 'call_signals' | 'call_answer_signals', columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  await runPrepared(trx, `holds.insert:${table}:${columns.join()}:${rows.length}`, rows.flat(), (values) =>
    trx
      .insertInto(table)
      .values(rows.map((_, r) => Object.fromEntries(columns.map((c, i) => [c, values[r * columns.length + i]]))) as never)
      .onConflict((oc) => oc.columns(['call_id', 'message_id']).doNothing()),
    UNREAD,
  );
}

/** For the holds' writes whose results are not read: on PostgreSQL they go out with the transaction's next statement or its commit. */
const UNREAD = { resultUnread: true } as const;
