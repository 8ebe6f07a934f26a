import { sql, type Kysely } from 'kysely';

/**
 * `retention_runs.status`: how a pass ended — `completed`, `handed_over` (its claim went stale
 * and another node took the deadline) or `stopped` (its node was stopping) — so the audit
 * never shows a pass cut short as a whole one. The passes recorded before it all completed
 * (a pass cut short recorded nothing).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('retention_runs')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('completed').check(sql`status in ('completed', 'handed_over', 'stopped')`))
    .execute();
}

/** Drops the column (and with it the passes cut short: before 0015 they were not recorded). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from retention_runs where status <> 'completed'`.execute(db);
  await db.schema.alterTable('retention_runs').dropColumn('status').execute();
}
