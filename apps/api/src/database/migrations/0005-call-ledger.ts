import type { Kysely } from 'kysely';

/**
 * The call ledger (calls/call-ledger.ts):
 * - `ledger_outbox`: the domain events of each committed ledger transaction, written in that
 *   transaction and deleted once delivered; a node that dies between commit and delivery
 *   leaves its row, and any node delivers it (calls/ledger-outbox.ts).
 * - `calls.negotiation_id` / `call_signals.negotiation_id`: the call's current media
 *   negotiation, and which one each held signal belongs to.
 * - An index on `calls.answered_at`, read on every queue change for the wait estimate
 *   (without it the query scans every call ever stored).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ledger_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_at', 'text')
    .execute();
  // Stale rows are looked for by the age of their claim.
  await db.schema.createIndex('ledger_outbox_claimed_at_idx').on('ledger_outbox').column('claimed_at').execute();
  await db.schema.alterTable('calls').addColumn('negotiation_id', 'text').execute();
  await db.schema.alterTable('call_signals').addColumn('negotiation_id', 'text').execute();
  await db.schema.createIndex('calls_answered_at_idx').on('calls').column('answered_at').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('calls_answered_at_idx').execute();
  await db.schema.alterTable('call_signals').dropColumn('negotiation_id').execute();
  await db.schema.alterTable('calls').dropColumn('negotiation_id').execute();
  await db.schema.dropTable('ledger_outbox').execute();
}
