import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { InjectDatabase } from '../database/database.module';
import { runUnreadWrite, type UnreadWrite } from '../database/prepared-queries';
import type { CallState } from '@switchboard/call-domain';
import type { Database, DeadlineKind, DeadlineRow } from '../database/schema';

/** A claim older than this is taken to belong to a node that died, and is taken over. */
export const STALE_CLAIM_MS = 15_000;

/**
 * Deadlines as rows (`deadlines`): at most one per kind and subject, claimed by one node at a
 * time, so timers survive restarts and never fire twice across nodes. The ledger sets and
 * cancels them inside its transactions (`tx.deadlines`, on the transaction's connection).
 */
@Injectable()
export class Deadlines {
  /**
   * In a ledger unit that handles a due deadline ({@link keepHandled}): that row, which only the
   * unit's own completion deletes (`LedgerTransaction.completeDeadline`), as the last write.
   */
  private handled: DeadlineRow | null = null;

  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /**
   * For the deadlines of a ledger unit that handles `row`: the unit's cancels leave that row
   * (a call's end cancels all its deadlines, a max wait's own among them), so that its deletion
   * at the end of the unit tells whether it was still this node's claim.
   */
  keepHandled(row: DeadlineRow): void {
    this.handled = row;
  }

  /**
   * A handler cannot set its own deadline again: that would clear the claim its unit's end
   * checks, and the unit would fail at every try. A deadline that must fire again later is
   * set by the move that makes it due (a decline's cool-down, an extension), not by its handler.
   */
  private refuseHandled(kind: DeadlineKind, subjectId: string): void {
    if (this.handled?.kind === kind && this.handled.subject_id === subjectId) {
      throw new Error(`the ${kind} deadline of ${subjectId} is being handled: its handler cannot set it again`);
    }
  }

  /**
   * Sets (or moves) the deadline of `kind` for `subjectId` to `dueAt`, unclaimed. Nothing of the
   * result is read: on PostgreSQL, in a transaction, it goes out with the next statement (as
   * {@link cancel}).
   */
  async schedule(kind: DeadlineKind, subjectId: string, dueAt: Date): Promise<void> {
    await runUnreadWrite(this.db, this.scheduling(kind, subjectId, dueAt));
  }

  /** {@link schedule} as a write to run with others (`runUnreadTogether`). */
  scheduling(kind: DeadlineKind, subjectId: string, dueAt: Date): UnreadWrite {
    this.refuseHandled(kind, subjectId);
    const due = dueAt.toISOString();
    // Every value a parameter, the nulls too (Kysely makes them parameters), so the statement is built once.
    const values = [randomUUID(), kind, subjectId, due, null, null, due, null, null];
    return {
      key: 'deadlines.schedule',
      values,
      build: ([id, k, subject, at, by, byAt, movedTo, unclaimed, unclaimedAt]) =>
        this.db
          .insertInto('deadlines')
          .values({ id: id as string, kind: k as DeadlineKind, subject_id: subject as string, due_at: at as string, claimed_by: by as null, claimed_at: byAt as null })
          .onConflict((oc) => oc.columns(['kind', 'subject_id']).doUpdateSet({ due_at: movedTo as string, claimed_by: unclaimed as null, claimed_at: unclaimedAt as null })),
    };
  }

  /**
   * Writes that remove `subjectId`'s deadlines of the kinds `cancelled` and set the one of
   * `kind` (another kind), as {@link cancel} then {@link schedule} would: to make with others
   * (`runUnreadTogether`; on PostgreSQL one statement).
   */
  replacing(subjectId: string, cancelled: readonly DeadlineKind[], kind: DeadlineKind, dueAt: Date): UnreadWrite[] {
    // One statement sees the rows as they were before it: a kind both removed and set would be
    // set on a row the same statement removes.
    if (cancelled.includes(kind)) throw new Error(`deadlines.replacing: ${kind} is both cancelled and set`);
    return [this.cancelling(subjectId, ...cancelled), this.scheduling(kind, subjectId, dueAt)];
  }

  /** Sets the deadline only if there is none of this kind for this subject yet. */
  async scheduleIfAbsent(kind: DeadlineKind, subjectId: string, dueAt: Date): Promise<void> {
    this.refuseHandled(kind, subjectId);
    await this.db
      .insertInto('deadlines')
      .values({ id: randomUUID(), kind, subject_id: subjectId, due_at: dueAt.toISOString(), claimed_by: null, claimed_at: null })
      .onConflict((oc) => oc.columns(['kind', 'subject_id']).doNothing())
      .execute();
  }

  /** Removes the deadlines of these kinds for `subjectId`. */
  async cancel(subjectId: string, ...kinds: DeadlineKind[]): Promise<void> {
    await runUnreadWrite(this.db, this.cancelling(subjectId, ...kinds));
  }

  /**
   * {@link cancel} as a write to run with others (`runUnreadTogether`): never with a
   * {@link scheduling} of one of these kinds for the same subject (the statement would not
   * see the delete; use {@link replacing}, which checks).
   */
  cancelling(subjectId: string, ...kinds: DeadlineKind[]): UnreadWrite {
    // The handled deadline, if it is one of these, is left to its unit's completion (keepHandled).
    const kept = this.handled?.subject_id === subjectId && kinds.includes(this.handled.kind) ? this.handled.id : null;
    return {
      key: `deadlines.cancel:${kinds.length}${kept === null ? '' : ':keeping'}`,
      values: kept === null ? [subjectId, ...kinds] : [subjectId, ...kinds, kept],
      build: ([subject, ...rest]) => {
        const cancel = this.db
          .deleteFrom('deadlines')
          .where('subject_id', '=', subject as string)
          .where('kind', 'in', rest.slice(0, kinds.length) as DeadlineKind[]);
        return kept === null ? cancel : cancel.where('id', '<>', rest[kinds.length] as string);
      },
    };
  }

  /**
   * Claims up to `limit` deadlines due at `now` for `nodeId`: unclaimed ones, and ones whose
   * claim went stale. Each claim is a conditional UPDATE, so only one node gets each row.
   */
  async claimDue(nodeId: string, now: Date, limit = 50): Promise<DeadlineRow[]> {
    const nowIso = now.toISOString();
    const staleBefore = new Date(now.getTime() - STALE_CLAIM_MS).toISOString();
    const due = await this.db
      .selectFrom('deadlines')
      .selectAll()
      .where('due_at', '<=', nowIso)
      .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
      .orderBy('due_at')
      .limit(limit)
      .execute();
    const claimed: DeadlineRow[] = [];
    for (const row of due) {
      const result = await this.db
        .updateTable('deadlines')
        .set({ claimed_by: nodeId, claimed_at: nowIso })
        .where('id', '=', row.id)
        .where('due_at', '=', row.due_at)
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) claimed.push({ ...row, claimed_by: nodeId, claimed_at: nowIso });
    }
    return claimed;
  }

  /** Gives back every deadline `nodeId` claimed and has not completed (a draining node): how many. */
  async releaseClaims(nodeId: string): Promise<number> {
    const result = await this.db.updateTable('deadlines').set({ claimed_by: null, claimed_at: null }).where('claimed_by', '=', nodeId).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Renews this node's claim on `row` (a long handler keeps it from going stale and being
   * taken over): false if another node has it now.
   */
  async refreshClaim(row: DeadlineRow): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.db.updateTable('deadlines').set({ claimed_at: now }).where('id', '=', row.id).where('claimed_by', '=', row.claimed_by).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Whether `row`, as a handler claimed it ({@link claimDue}), is still its subject's deadline:
   * not cancelled, moved (set again, which clears the claim) or taken over by another node
   * since. A row never claimed is not; nor is one whose claim was renewed since
   * ({@link refreshClaim} moves `claimed_at`: a handler that renews must check the row as renewed).
   */
  async isClaimed(row: DeadlineRow): Promise<boolean> {
    return (await this.db.selectFrom('deadlines').select('id').where((eb) => asClaimed(eb, row)).executeTakeFirst()) !== undefined;
  }

  /** Deletes a handled deadline, unless it was cancelled, moved or taken over meanwhile ({@link isClaimed}): whether it was deleted. */
  async complete(row: DeadlineRow): Promise<boolean> {
    const result = await this.db.deleteFrom('deadlines').where((eb) => asClaimed(eb, row)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/** `row` as its handler claimed it: same id, claimed by the same node at the same moment (a row never claimed matches nothing). */
function asClaimed(eb: ExpressionBuilder<Database, 'deadlines'>, row: DeadlineRow) {
  return eb.and([eb('id', '=', row.id), eb('claimed_by', '=', row.claimed_by), eb('claimed_at', '=', row.claimed_at)]);
}

/**
 * The deadlines a call can have in each state it ends from, as the ledger sets and cancels them
 * in the transactions that move it: waiting, `max_wait` (inbound) and `ring_timeout` (while it
 * rings, and as a decline's cool-down once back in line); accepted, only `media_timeout` (the
 * accept replaces the others); connected, none (media connecting cancels it). Ending a call
 * cancels these and only these: a connected call's end runs no delete that finds nothing.
 */
export const CALL_DEADLINES: Readonly<Record<Exclude<CallState, 'ended'>, readonly DeadlineKind[]>> = {
  queued: ['ring_timeout', 'max_wait'],
  ringing: ['ring_timeout', 'max_wait'],
  accepted: ['media_timeout'],
  connected: [],
};

/** `now` plus `seconds`, as a Date (when a deadline is due). */
export function secondsAfter(now: Date, seconds: number): Date {
  return new Date(now.getTime() + seconds * 1000);
}
