import { sql, type Kysely } from 'kysely';

/**
 * Faults a node or a connection can meet:
 * - Node liveness (calls/node-liveness.ts): `api_nodes` holds one row per running API node,
 *   its heartbeat refreshed every NODE_HEARTBEAT_MS. A row whose heartbeat went stale belongs
 *   to a node that died; a live node claims it (a conditional update, so one node does) and
 *   gives the presence that node's sockets held a grace period.
 * - `call_answer_signals`: the accepted agent's answer and candidates, held until media
 *   connects or the call ends, for a caller whose socket comes back as a new one
 *   (calls/answer-holds.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'text')
    .execute();
  await db.schema.createIndex('api_nodes_heartbeat_at_idx').on('api_nodes').column('heartbeat_at').execute();

  await db.schema
    .createTable('call_answer_signals')
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('answer', 'candidate')`))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('negotiation_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('call_answer_signals_pk', ['call_id', 'message_id'])
    .execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_answer_signals').execute();
  await db.schema.dropTable('api_nodes').execute();
}
