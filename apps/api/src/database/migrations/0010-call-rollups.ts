import { sql, type Kysely } from 'kysely';
import { rebuildRollups } from '../../calls/ledger/call-rollups';
import type { Database } from '../schema';

/**
 * Roll-ups of the ended calls, so supervisor metrics for any period read a few thousand rows
 * instead of every call: per quarter hour and outcome (counts and duration sums), per UTC day,
 * outcome and queue second (the service level's and short abandons' histogram), per quarter
 * hour and agent (missed offers). The ledger keeps them in the transaction that changes a
 * call; here they are backfilled from the calls already stored. An index covering queue time,
 * state, outcome and queue duration serves the parts of a period shorter than a day.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('call_rollups')
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addColumn('queue_ms', 'bigint', (c) => c.notNull())
    .addColumn('handled', 'integer', (c) => c.notNull())
    .addColumn('handle_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_rollups_pk', ['bucket_start', 'outcome'])
    .execute();
  await db.schema
    .createTable('call_wait_rollups')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('wait_s', 'integer', (c) => c.notNull())
    .addColumn('calls', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_wait_rollups_pk', ['day', 'outcome', 'wait_s'])
    .execute();
  await db.schema
    .createTable('call_missed_rollups')
    .addColumn('bucket_start', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('agent_name', 'text', (c) => c.notNull())
    .addColumn('missed', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_missed_rollups_pk', ['bucket_start', 'agent_id'])
    .execute();
  await db.schema.createIndex('calls_queued_at_wait_idx').on('calls').columns(['queued_at', 'state', 'outcome', 'queue_ms']).execute();
  const span = await sql<{ first: string | null; last: string | null }>`select min(queued_at) as first, max(queued_at) as last from calls`.execute(db);
  const { first, last } = span.rows[0] ?? { first: null, last: null };
  if (first && last) {
    const day = 24 * 3600 * 1000;
    const from = new Date(Math.floor(Date.parse(first) / day) * day).toISOString();
    const to = new Date(Math.floor(Date.parse(last) / day) * day + day).toISOString();
    await rebuildRollups(db as Kysely<Database>, from, to);
  }
}

/** Drops the roll-ups and the index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_queued_at_wait_idx').execute();
  await db.schema.dropTable('call_missed_rollups').execute();
  await db.schema.dropTable('call_wait_rollups').execute();
  await db.schema.dropTable('call_rollups').execute();
}
