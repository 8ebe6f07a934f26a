import type { Kysely } from 'kysely';

/**
 * Node liveness (calls/node-liveness.ts): `api_nodes` holds one row per running API node,
 * its heartbeat refreshed every NODE_HEARTBEAT_MS. A row whose heartbeat went stale belongs
 * to a node that died; a live node claims it (a conditional update, so one node does) and
 * gives the presence that node's sockets held a grace period.
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
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_nodes').execute();
}
