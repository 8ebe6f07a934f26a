import type { Kysely } from 'kysely';

/**
 * `call_quality`: one row per call whose parties reported quality samples (`reportQuality`),
 * the running summary both parties' samples add up to. Each sample updates it with one
 * upsert (minimum, sum and maxima, counts per warning), so any node may take any sample and
 * nothing lives in a process's memory. The latest sample is kept for the live board.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('call_quality')
    .addColumn('call_id', 'text', (c) => c.primaryKey().references('calls.id').onDelete('cascade'))
    .addColumn('samples', 'integer', (c) => c.notNull())
    .addColumn('mos_min', 'double precision', (c) => c.notNull())
    .addColumn('mos_sum', 'double precision', (c) => c.notNull())
    .addColumn('loss_max', 'double precision', (c) => c.notNull())
    .addColumn('rtt_max', 'double precision')
    .addColumn('jitter_max', 'double precision', (c) => c.notNull())
    .addColumn('warning_samples', 'integer', (c) => c.notNull())
    .addColumn('high_rtt_samples', 'integer', (c) => c.notNull())
    .addColumn('high_jitter_samples', 'integer', (c) => c.notNull())
    .addColumn('high_loss_samples', 'integer', (c) => c.notNull())
    .addColumn('low_mos_samples', 'integer', (c) => c.notNull())
    .addColumn('latest_at', 'text', (c) => c.notNull())
    .addColumn('latest_sample', 'text', (c) => c.notNull())
    .execute();
  // The history's `quality=poor` filter.
  await db.schema.createIndex('call_quality_warning_samples_idx').on('call_quality').column('warning_samples').execute();
}

/** Drops what {@link up} added. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_quality').execute();
}
