import type { Kysely } from 'kysely';

/**
 * The supervisor's call history pages and exports in (queued_at, id) order and resumes a
 * batch after the last (queued_at, id) seen: one composite index serves both orders, the
 * keyset condition and the tie-break on both SQLite and PostgreSQL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('calls_queued_at_id_idx').on('calls').columns(['queued_at', 'id']).execute();
}

/** Drops the index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_queued_at_id_idx').execute();
}
