import { existsSync, statSync } from 'node:fs';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../config/config';
import { describeEachDialect } from '../testing/each-dialect';
import { withSqliteFile } from '../testing/sqlite-file';
import { migrateToLatest } from './database';
import { CALL_EVENT_TYPES_0008 } from './migrations/0008-call-event-reconnections';
import { MIGRATIONS } from './migrations';
import type { Database } from './schema';

describeEachDialect('migrations, all or nothing', (database) => {
  const at = '2026-12-04T12:00:00.000Z';
  /** Kysely's Migrator on the test database, with the API's migrations or a list changed from them. */
  const migrator = (migrations: Readonly<Record<string, Migration>> = MIGRATIONS) =>
    new Migrator({ db: database().db, provider: { getMigrations: () => Promise.resolve({ ...migrations }) } });
  /** A statement that fails (no such table), as the last of a migration. */
  const failing = (db: Kysely<unknown>) => sql`insert into no_such_table values (1)`.execute(db);

  /** A student, an agent, a call with a timeline entry and an agent state change, in columns every migration has. */
  async function addHistory(db: Kysely<Database>) {
    for (const [id, role] of [['student-1', 'student'], ['agent-1', 'agent']]) {
      await sql`insert into users (id, username, display_name, role, password_hash, created_at) values (${id}, ${id}, 'Someone', ${role}, 'x', ${at})`.execute(db);
    }
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values ('call-1', 'ended', 'failed', 'student-1', 'Sam', ${at})`.execute(db);
    await sql`insert into call_events (id, call_id, seq, at, type) values ('event-1', 'call-1', 1, ${at}, 'queued')`.execute(db);
    await sql`insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ('change-1', 'agent-1', ${at}, 'available', 'ringing', 'offer')`.execute(db);
  }

  afterEach(async () => {
    const { db } = database();
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    await db.deleteFrom('agent_state_changes').execute();
    await db.deleteFrom('calls').execute();
    await db.deleteFrom('users').execute();
  });

  it('leaves everything as it was when a migration fails half-way through its table rebuild (0012, after its other changes), and migrates on the next run', async () => {
    const { db, dialect } = database();
    expect((await migrator().migrateTo('0011-call-history-search')).error).toBeUndefined();
    await addHistory(db);
    // An entry of a kind 0012's CHECK does not list: its copy into the rebuilt table fails.
    await addUncheckedEntry(db, dialect);
    const before = await snapshot(db, dialect);

    const { error, results } = await migrator().migrateToLatest();
    expect(String(error)).toMatch(/check constraint/i);
    expect(results?.find((r) => r.status === 'Error')?.migrationName).toBe('0012-callbacks');
    expect(await snapshot(db, dialect)).toEqual(before);

    await sql`delete from call_events where id = 'event-2'`.execute(db);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    expect((await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name)).toEqual(Object.keys(MIGRATIONS));
    expect(await db.selectFrom('call_events').select(['id', 'type']).execute()).toEqual([{ id: 'event-1', type: 'queued' }]);
    expect(await db.selectFrom('calls').select(['id', 'direction']).execute()).toEqual([{ id: 'call-1', direction: 'inbound' }]);
  });

  it('takes back the migrations of the run before the one that failed (0024’s rebuild, then one that fails)', async () => {
    const { db, dialect } = database();
    expect((await migrator().migrateTo('0023-sqlite-ended-sort-indexes')).error).toBeUndefined();
    await addHistory(db);
    const before = await snapshot(db, dialect);

    const { error, results } = await migrator({
      ...MIGRATIONS,
      '9999-half-done': {
        up: async (trx) => {
          await trx.schema.createTable('half_done').addColumn('id', 'text').execute();
          await failing(trx);
        },
      },
    }).migrateToLatest();
    expect(String(error)).toMatch(/no_such_table/);
    const after0023 = Object.keys(MIGRATIONS).filter((name) => name > '0023-sqlite-ended-sort-indexes');
    expect(after0023[0]).toBe('0024-sqlite-clustered-logs');
    expect(results?.map((r) => `${r.migrationName} ${r.status}`)).toEqual([...after0023.map((name) => `${name} Success`), '9999-half-done Error']);
    expect(await snapshot(db, dialect)).toEqual(before);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
  });

  it('takes back the way down too (0024’s rebuild back, then 0023’s down fails)', async () => {
    const { db, dialect } = database();
    await addHistory(db);
    const before = await snapshot(db, dialect);
    const endedSortIndexes = MIGRATIONS['0023-sqlite-ended-sort-indexes'];

    const { error } = await migrator({
      ...MIGRATIONS,
      '0023-sqlite-ended-sort-indexes': {
        up: endedSortIndexes.up,
        down: async (trx) => {
          await endedSortIndexes.down?.(trx);
          await failing(trx);
        },
      },
    }).migrateTo('0022-fewer-call-index-writes');
    expect(String(error)).toMatch(/no_such_table/);
    expect(await snapshot(db, dialect)).toEqual(before);
    expect((await migrator().migrateTo('0022-fewer-call-index-writes')).error).toBeUndefined();
  });
});

/** Stores a timeline entry of a kind no migration's CHECK lists, going around the CHECK (0008's) for it. */
async function addUncheckedEntry(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const entry = sql`insert into call_events (id, call_id, seq, at, type) values ('event-2', 'call-1', 2, '2026-12-04T12:00:01.000Z', 'teleported')`;
  if (dialect === 'sqlite') {
    await sql`pragma ignore_check_constraints = on`.execute(db);
    try {
      await entry.execute(db);
    } finally {
      await sql`pragma ignore_check_constraints = off`.execute(db);
    }
    return;
  }
  await sql`alter table call_events drop constraint call_events_type_check`.execute(db);
  await entry.execute(db);
  const types = sql.join(CALL_EVENT_TYPES_0008.map((t) => sql.lit(t)));
  await sql`alter table call_events add constraint call_events_type_check check (type in (${types})) not valid`.execute(db);
}

describe('migrateToLatest on SQLite', () => {
  it('leaves no WAL behind a run that applied migrations (the run is one transaction, all of it in the WAL)', async () => {
    await withSqliteFile(async (db, file) => {
      expect((await migrateToLatest(db))?.length).toBeGreaterThan(0);
      expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).withContext('WAL bytes after the upgrade').toBe(0);
      // Nothing to apply: nothing to truncate, and the database still answers.
      expect(await migrateToLatest(db)).toEqual([]);
      expect((await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db)).rows[0].n).toBeGreaterThan(20);
    });
  });
});

/** The schema, every table's rows (sorted) and so `kysely_migration`: what a failed run must leave as it was. */
async function snapshot(db: Kysely<Database>, dialect: SqlDialect) {
  const rowsOf = async (query: ReturnType<typeof sql>) => (await query.execute(db)).rows;
  const schema =
    dialect === 'sqlite'
      ? await rowsOf(sql`select type, name, tbl_name, sql from sqlite_master order by type, name`)
      : [
          ...(await rowsOf(sql`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = current_schema() order by 1, 2`)),
          ...(await rowsOf(sql`select indexname, indexdef from pg_indexes where schemaname = current_schema() order by 1`)),
          ...(await rowsOf(sql`select conrelid::regclass::text as on_table, conname, pg_get_constraintdef(oid) as definition from pg_constraint where connamespace = current_schema()::regnamespace order by 1, 2`)),
          ...(await rowsOf(sql`select tgrelid::regclass::text as on_table, tgname from pg_trigger where not tgisinternal order by 1, 2`)),
        ];
  const tables = (
    (dialect === 'sqlite'
      ? await rowsOf(sql`select name from sqlite_master where type = 'table' order by name`)
      : await rowsOf(sql`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`)) as { name: string }[]
  ).map((r) => r.name);
  const rows: Record<string, string[]> = {};
  for (const table of tables) rows[table] = (await rowsOf(sql`select * from ${sql.table(table)}`)).map((row) => JSON.stringify(row)).sort();
  return { schema, rows };
}
