import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { rebuildRollups } from '../../calls/ledger/call-rollups';
import type { Database } from '../schema';

/** Kinds of deadline as of 0002. */
const DEADLINE_KINDS_0002 = ['ring_timeout', 'max_wait', 'media_timeout', 'wrap_up_end', 'presence_grace'];
/** And the daily retention pass (RETENTION_MONTHS). */
const DEADLINE_KINDS_0013 = [...DEADLINE_KINDS_0002, 'retention'];

/**
 * Roll-ups of the ended calls, so supervisor metrics for any period read a few thousand rows
 * instead of every call: per quarter hour and outcome (counts and duration sums), per UTC day,
 * outcome and queue second (the service level's and short abandons' histogram), per quarter
 * hour and agent (missed offers). The ledger keeps them in the transaction that changes a
 * call; here they are backfilled from the calls already stored. An index covering queue time,
 * state, outcome and queue duration serves the parts of a period shorter than a day.
 *
 * Retention (RETENTION_MONTHS) deletes old calls but keeps their roll-ups: a `retention`
 * deadline kind for its daily pass, and `retention_runs`, the audit of every pass.
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
  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('months', 'integer', (c) => c.notNull())
    .addColumn('cutoff', 'text', (c) => c.notNull())
    .addColumn('calls_deleted', 'integer', (c) => c.notNull())
    .addColumn('events_deleted', 'integer', (c) => c.notNull())
    .addColumn('callbacks_deleted', 'integer', (c) => c.notNull())
    .addColumn('batches', 'integer', (c) => c.notNull())
    .execute();
  await checkDeadlineKinds(db, DEADLINE_KINDS_0013);
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

/** Drops the roll-ups, the index and the retention audit; narrows the deadline kinds back. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from deadlines where kind = 'retention'`.execute(db);
  await checkDeadlineKinds(db, DEADLINE_KINDS_0002);
  await db.schema.dropTable('retention_runs').execute();
  await db.schema.dropIndex('calls_queued_at_wait_idx').execute();
  await db.schema.dropTable('call_missed_rollups').execute();
  await db.schema.dropTable('call_wait_rollups').execute();
  await db.schema.dropTable('call_rollups').execute();
}

async function checkDeadlineKinds(db: Kysely<unknown>, kinds: readonly string[]): Promise<void> {
  const check = sql`kind in (${sql.join(kinds.map((k) => sql.lit(k)))})`;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table deadlines drop constraint if exists deadlines_kind_check`.execute(db);
    await sql`alter table deadlines add constraint deadlines_kind_check check (${check})`.execute(db);
    return;
  }
  // SQLite cannot change a CHECK in place: the table is rebuilt (as 0008 does call_events).
  const indexes = await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and tbl_name = 'deadlines' and sql is not null`.execute(db);
  await sql`create table deadlines_rebuilt (
    id text primary key,
    kind text not null check (${check}),
    subject_id text not null,
    due_at text not null,
    claimed_by text,
    claimed_at text,
    constraint deadlines_kind_subject_unique unique (kind, subject_id)
  )`.execute(db);
  await sql`insert into deadlines_rebuilt (id, kind, subject_id, due_at, claimed_by, claimed_at) select id, kind, subject_id, due_at, claimed_by, claimed_at from deadlines`.execute(db);
  await sql`drop table deadlines`.execute(db);
  await sql`alter table deadlines_rebuilt rename to deadlines`.execute(db);
  for (const index of indexes.rows) await sql.raw(index.sql).execute(db);
}
