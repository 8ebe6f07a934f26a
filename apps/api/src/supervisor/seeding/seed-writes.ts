import { CompiledQuery, PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database } from '../../database/schema';
import type { GeneratedCall } from './month-generator';
import type { SeededRandom } from './random';

/** A table the seeders fill: its columns in insert order, and which hold integers or fractions (PostgreSQL arrays are typed). */
interface SeedTable {
  name: 'calls' | 'call_events' | 'callback_requests' | 'call_quality';
  columns: readonly string[];
  integers: ReadonlySet<string>;
  doubles?: ReadonlySet<string>;
  /** Rows per SQLite statement: under its 32 766 bound parameters. */
  sqliteRows: number;
}

const CALLS: SeedTable = {
  name: 'calls',
  columns: ['id', 'state', 'outcome', 'caller_id', 'caller_name', 'agent_id', 'agent_name', 'ringing_agent_id', 'rings_out_at', 'queued_at', 'answered_at', 'connected_at', 'ended_at', 'ended_by', 'end_reason', 'queue_ms', 'talk_ms', 'wrap_up_ms', 'disposition', 'notes', 'poor_quality'],
  integers: new Set(['queue_ms', 'talk_ms', 'wrap_up_ms', 'poor_quality']),
  sqliteRows: 500,
};
const CALL_QUALITY: SeedTable = {
  name: 'call_quality',
  columns: ['call_id', 'samples', 'mos_min', 'mos_sum', 'loss_max', 'rtt_max', 'jitter_max', 'warning_samples', 'high_rtt_samples', 'high_jitter_samples', 'high_loss_samples', 'low_mos_samples', 'latest_at', 'latest_sample'],
  integers: new Set(['samples', 'warning_samples', 'high_rtt_samples', 'high_jitter_samples', 'high_loss_samples', 'low_mos_samples']),
  doubles: new Set(['mos_min', 'mos_sum', 'loss_max', 'rtt_max', 'jitter_max']),
  sqliteRows: 2000,
};
const CALL_EVENTS: SeedTable = {
  name: 'call_events',
  columns: ['id', 'call_id', 'seq', 'at', 'type', 'actor_id', 'actor_name', 'detail'],
  integers: new Set(['seq']),
  sqliteRows: 2000,
};
const CALLBACK_REQUESTS: SeedTable = {
  name: 'callback_requests',
  columns: ['id', 'call_id', 'student_id', 'name', 'note', 'created_at', 'done_at', 'done_by'],
  integers: new Set(),
  sqliteRows: 2000,
};

/** SQLite's page cache while {@link withIndexesDeferred} runs (KiB): the primary keys of a million calls and their six million timeline entries. */
const SQLITE_BULK_CACHE_KIB = 1024 * 1024;

/** Rows per PostgreSQL statement: one array per column, so the text (and its prepared plan) is the same whatever the count. */
const POSTGRES_ROWS = 10_000;

const seconds = (s: number | null) => (s === null ? null : Math.round(s * 1000));

/**
 * Writes generated calls, their timelines (numbered from 1, ids drawn from `ids`), their
 * callback requests and their quality summaries (a call with warning samples is marked
 * `poor_quality`, as the quality recorder marks it). Every statement has a fixed text, so it is prepared once and reused
 * (the SQLite statement cache, PostgreSQL's named statements): on SQLite multi-row `VALUES`
 * of {@link SeedTable.sqliteRows} rows (the few rows left over one by one), on PostgreSQL an
 * `unnest` of one array per column, 10 000 rows a statement. Run it inside a transaction.
 */
export async function insertGeneratedCalls(db: Kysely<Database>, calls: readonly GeneratedCall[], ids: SeededRandom): Promise<void> {
  const postgres = isPostgres(db);
  await insertRows(
    db,
    postgres,
    CALLS,
    calls.map(({ record: r, quality }) => [
      r.id,
      r.state,
      r.outcome,
      r.callerId,
      r.callerName,
      r.agentId,
      r.agentName,
      null,
      null,
      r.queuedAt,
      r.answeredAt,
      r.connectedAt,
      r.endedAt,
      r.endedBy,
      r.endReason,
      seconds(r.queueSeconds),
      seconds(r.talkSeconds),
      seconds(r.wrapUpSeconds),
      r.disposition,
      r.notes,
      Number(quality?.warning_samples ?? 0) > 0 ? 1 : 0,
    ]),
  );
  const events: unknown[][] = [];
  for (const c of calls) c.timeline.forEach((e, i) => events.push([ids.uuid(), c.record.id, i + 1, e.at, e.type, e.actorId, e.actorName, e.detail]));
  await insertRows(db, postgres, CALL_EVENTS, events);
  const callbacks = calls.flatMap((c) => (c.callback ? [c.callback] : []));
  await insertRows(
    db,
    postgres,
    CALLBACK_REQUESTS,
    callbacks.map((cb) => [cb.id, cb.callId, cb.studentId, cb.name, cb.note, cb.createdAt, cb.doneAt, cb.doneById]),
  );
  const summaries = calls.flatMap((c) => (c.quality ? [c.quality] : []));
  await insertRows(db, postgres, CALL_QUALITY, summaries.map((q) => CALL_QUALITY.columns.map((column) => q[column as keyof typeof q] ?? null)));
}

async function insertRows(db: Kysely<Database>, postgres: boolean, table: SeedTable, rows: readonly unknown[][]): Promise<void> {
  const columns = table.columns.join(', ');
  if (postgres) {
    const arrays = table.columns.map((c, i) => `$${i + 1}::${table.integers.has(c) ? 'integer' : table.doubles?.has(c) ? 'double precision' : 'text'}[]`).join(', ');
    const text = `insert into ${table.name} (${columns}) select * from unnest(${arrays})`;
    for (let i = 0; i < rows.length; i += POSTGRES_ROWS) {
      const chunk = rows.slice(i, i + POSTGRES_ROWS);
      await db.executeQuery(CompiledQuery.raw(text, table.columns.map((_, j) => chunk.map((row) => row[j]))));
    }
    return;
  }
  const tuple = `(${table.columns.map(() => '?').join(', ')})`;
  const many = `insert into ${table.name} (${columns}) values ${Array.from({ length: table.sqliteRows }, () => tuple).join(', ')}`;
  const one = `insert into ${table.name} (${columns}) values ${tuple}`;
  let i = 0;
  for (; i + table.sqliteRows <= rows.length; i += table.sqliteRows) await db.executeQuery(CompiledQuery.raw(many, rows.slice(i, i + table.sqliteRows).flat()));
  for (; i < rows.length; i++) await db.executeQuery(CompiledQuery.raw(one, rows[i]));
}

/**
 * Runs `work` (which fills `calls` and `call_events` in bulk) with the secondary indexes of
 * those two tables dropped, then builds each again from its stored definition: a sort per
 * index instead of millions of insertions at random places (a call's id, its caller, an
 * event's call are random keys). The student search's callers (`call_callers` and its trigram
 * index, migration 0016) are kept by their triggers as the calls go in: a lookup in a table of
 * a few thousand pairs per call. Only for a table of calls that was empty before (a seeded
 * history). The indexes are back whether `work` succeeds or fails (what it committed is then
 * indexed).
 */
export async function withIndexesDeferred<T>(db: Kysely<Database>, work: () => Promise<T>): Promise<T> {
  const postgres = isPostgres(db);
  const deferred = await db.transaction().execute(async (trx) => {
    const found = postgres
      ? await sql<{ name: string; definition: string }>`select indexname as name, indexdef as definition from pg_indexes
          where schemaname = current_schema() and tablename in ('calls', 'call_events')
            and indexname not in (select conname from pg_constraint where contype in ('p', 'u', 'x'))`.execute(trx)
      : await sql<{ name: string; definition: string }>`select name, sql as definition from sqlite_master
          where type = 'index' and tbl_name in ('calls', 'call_events') and sql is not null`.execute(trx);
    for (const { name } of found.rows) await sql`drop index ${sql.id(name)}`.execute(trx);
    return found.rows;
  });
  // SQLite: the tables' primary keys (random ids) still take every row at a random place; a
  // page cache that holds them (instead of the default 2 MB) keeps those insertions in memory.
  const cacheSize = postgres ? undefined : (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0].cache_size;
  if (!postgres) await sql`pragma cache_size = ${sql.raw(String(-SQLITE_BULK_CACHE_KIB))}`.execute(db);
  try {
    return await work();
  } finally {
    if (cacheSize !== undefined) await sql`pragma cache_size = ${sql.raw(String(cacheSize))}`.execute(db);
    await db.transaction().execute(async (trx) => {
      // PostgreSQL sorts each index in memory up to this much (its default, 64 MB, spills a million rows to disk).
      if (postgres) await sql`set local maintenance_work_mem = '256MB'`.execute(trx);
      for (const { definition } of deferred) await sql.raw(definition).execute(trx);
    });
  }
}

function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
