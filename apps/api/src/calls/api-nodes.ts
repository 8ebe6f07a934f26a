import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';

/**
 * The running API nodes and their heartbeats, as rows of `api_nodes` (one per node), so every
 * node can tell which of its peers stopped: a row whose heartbeat is older than the silence
 * allowed is claimed by one live node at a time (a conditional update), handled, and deleted.
 */
@Injectable()
export class ApiNodes {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** Refreshes `nodeId`'s heartbeat to `now` (and takes its row back if a peer had claimed it). */
  async beat(nodeId: string, startedAt: Date, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.db
      .insertInto('api_nodes')
      .values({ id: nodeId, started_at: startedAt.toISOString(), heartbeat_at: at, claimed_by: null, claimed_at: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: at, claimed_by: null, claimed_at: null }))
      .execute();
  }

  /**
   * Claims for `claimer` every other node silent for longer than `silentMs` at `now` that is
   * unclaimed, or whose claim is as old (its claimer died too); the ids claimed. Each claim is
   * a conditional UPDATE, so two nodes looking at once never claim the same one.
   */
  async claimSilent(claimer: string, now: Date, silentMs: number): Promise<string[]> {
    const staleBefore = new Date(now.getTime() - silentMs).toISOString();
    const silent = await this.db
      .selectFrom('api_nodes')
      .select(['id', 'heartbeat_at'])
      .where('id', '!=', claimer)
      .where('heartbeat_at', '<', staleBefore)
      .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
      .execute();
    const claimed: string[] = [];
    for (const node of silent) {
      const result = await this.db
        .updateTable('api_nodes')
        .set({ claimed_by: claimer, claimed_at: now.toISOString() })
        .where('id', '=', node.id)
        .where('heartbeat_at', '=', node.heartbeat_at)
        .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_at', '<', staleBefore)]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) claimed.push(node.id);
    }
    return claimed;
  }

  /** Forgets nodes `claimer` has handled, unless one beat again meanwhile (it was only slow). */
  async forget(claimer: string, nodeIds: readonly string[]): Promise<void> {
    if (nodeIds.length === 0) return;
    await this.db.deleteFrom('api_nodes').where('id', 'in', nodeIds).where('claimed_by', '=', claimer).execute();
  }
}
