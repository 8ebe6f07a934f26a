import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type LogEvent, type Transaction } from 'kysely';
import { createTempDir } from '../testing/temp-dir';
import { migrateToLatest, openDatabase } from './database';
import { runPrepared } from './prepared-queries';
import type { Database } from './schema';
import { withDirectStatements, withStatementCache } from './sqlite-statements';

interface Schema {
  notes: { id: number; body: string };
}

describe('withStatementCache (SQLite)', () => {
  let dir: ReturnType<typeof createTempDir>;
  let file: SQLite.Database;
  let prepares: jasmine.Spy;
  let db: Kysely<Schema>;

  function open(max?: number): void {
    file = new SQLite(join(dir.path, 'notes.sqlite'));
    prepares = spyOn(file, 'prepare').and.callThrough();
    db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(file, max) }) });
  }

  beforeEach(async () => {
    dir = createTempDir();
    open();
    await sql`create table notes (id integer primary key, body text not null)`.execute(db);
  });
  afterEach(async () => {
    await db.destroy();
    dir.remove();
  });

  const preparedTexts = () => prepares.calls.allArgs().map(([text]) => text as string);

  it('prepares a repeated query once and keeps answering it right', async () => {
    for (let id = 1; id <= 20; id++) await db.insertInto('notes').values({ id, body: `note ${id}` }).execute();
    const bodies = [];
    for (let id = 1; id <= 20; id++) bodies.push((await db.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirstOrThrow()).body);
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, n) => `note ${n + 1}`));
    expect(preparedTexts().filter((t) => t.startsWith('insert')).length).withContext('one insert text, 20 runs').toBe(1);
    expect(preparedTexts().filter((t) => t.startsWith('select')).length).withContext('one select text, 20 runs').toBe(1);
    // A cached writer still reports what it changed.
    const updated = await db.updateTable('notes').set({ body: 'x' }).where('id', '<=', 5).executeTakeFirstOrThrow();
    const again = await db.updateTable('notes').set({ body: 'x' }).where('id', '<=', 7).executeTakeFirstOrThrow();
    expect([updated.numUpdatedRows, again.numUpdatedRows]).toEqual([5n, 7n]);
  });

  it('answers a cached `select *` with the new columns after a schema change', async () => {
    await db.insertInto('notes').values({ id: 1, body: 'first' }).execute();
    const all = () => sql<Record<string, unknown>>`select * from notes`.execute(db).then((r) => r.rows);
    expect(await all()).toEqual([{ id: 1, body: 'first' }]);
    await sql`alter table notes add column pinned integer not null default 0`.execute(db);
    expect(await all()).toEqual([{ id: 1, body: 'first', pinned: 0 }]);
    expect(preparedTexts().filter((t) => t === 'select * from notes').length).toBe(1);
  });

  it('keeps at most `max` statements, dropping the least recently used, and still answers every query', async () => {
    await db.destroy();
    open(4);
    await db.insertInto('notes').values({ id: 1, body: 'first' }).execute();
    const probe = (n: number) => sql<{ n: number }>`select ${sql.raw(String(n))} + id as n from notes`.execute(db).then((r) => r.rows[0].n);
    const hot = () => db.selectFrom('notes').select('body').where('id', '=', 1).executeTakeFirstOrThrow();
    prepares.calls.reset();
    for (let n = 0; n < 10; n++) {
      expect(await probe(n)).toBe(n + 1);
      expect((await hot()).body).toBe('first');
    }
    expect(prepares.calls.count()).withContext('10 distinct texts, and the hot one once').toBe(11);
    // Ten distinct texts went through a cache of 4: the first ones were evicted and are prepared again.
    for (const n of [0, 1]) expect(await probe(n)).toBe(n + 1);
    expect(prepares.calls.count()).toBe(13);
  });

  it('prepares a fresh statement for a query issued while the cached one is still streaming', async () => {
    for (let id = 1; id <= 3; id++) await db.insertInto('notes').values({ id, body: `note ${id}` }).execute();
    const query = db.selectFrom('notes').select('id').orderBy('id');
    const streamed: number[] = [];
    const selectText = query.compile().sql;
    await query.execute();
    // Streaming holds Kysely's one SQLite connection; a nested read goes through the file directly.
    const cached = withStatementCache(file);
    const first = cached.prepare(selectText);
    const again = cached.prepare(selectText);
    expect(again).withContext('not busy: reused').toBe(first);
    for (const row of first.iterate([]) as Iterable<{ id: number }>) {
      const nested = cached.prepare(selectText);
      expect(nested).withContext('busy: a fresh statement').not.toBe(first);
      streamed.push(row.id, (nested.all([]) as { id: number }[]).length);
    }
    expect(streamed).toEqual([1, 3, 2, 3, 3, 3]);
  });
});

describe('runPrepared on SQLite (SqliteDirect: marked transactions, idle connection, reads while it is taken)', () => {
  let dir: ReturnType<typeof createTempDir>;
  let db: Kysely<Database>;
  let logged: LogEvent[];

  beforeEach(async () => {
    dir = createTempDir();
    logged = [];
    ({ db } = openDatabase({ dialect: 'sqlite', file: join(dir.path, 'direct.sqlite') }, { log: (event) => logged.push(event) }));
    await sql`create table notes (id integer primary key, body text not null)`.execute(db);
  });
  afterEach(async () => {
    await db.destroy();
    dir.remove();
  });

  /** The spec's own table, on the app's database. */
  const notes = (on: Kysely<Database>) => on as unknown as Kysely<Schema>;
  const insert = (on: Kysely<Database>, id: number) =>
    runPrepared(on, 'spec.insert', [id, `note ${id}`], ([i, body]) => notes(on).insertInto('notes').values({ id: i as number, body: body as string }));
  const count = (on: Kysely<Database>) => runPrepared(on, 'spec.count', [], () => notes(on).selectFrom('notes').select((eb) => eb.fn.countAll<number>().as('n')));

  it("runs a marked transaction's statements on SQLite without Kysely's executor, answering and logging as Kysely would", async () => {
    await db.transaction().execute((trx) => withDirectStatements(trx, async () => {
      const throughKysely = spyOn(trx, 'executeQuery').and.callThrough();
      const written = await insert(trx, 1);
      expect(written.numAffectedRows).toBe(1n);
      expect(written.insertId).toBe(1n);
      expect((await count(trx)).rows).toEqual([{ n: 1 }]);
      const failed = await insert(trx, 1).catch((err: unknown) => err);
      expect(failed).toEqual(jasmine.objectContaining({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }));
      expect(throughKysely).not.toHaveBeenCalled();
    }));
    const ofSpec = logged.filter((e) => /notes/.test(e.query.sql) && !/^create/.test(e.query.sql));
    expect(ofSpec.map((e) => [e.level, e.query.sql.split(' ')[0]])).toEqual([
      ['query', 'insert'],
      ['query', 'select'],
      ['error', 'insert'],
    ]);
    for (const event of ofSpec) expect(event.queryDurationMillis).toBeGreaterThanOrEqual(0);
  });

  it('refuses a statement of a transaction that has ended, instead of running it in the one open now', async () => {
    let ended: Transaction<Database> | undefined;
    await db.transaction().execute((trx) => withDirectStatements(trx, async () => void (ended = trx)));
    let stale: unknown;
    await db
      .transaction()
      .execute((trx) =>
        withDirectStatements(trx, async () => {
          stale = await insert(ended as Transaction<Database>, 1).catch((err: unknown) => err);
          await insert(trx, 2);
        }),
      );
    expect(stale).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(/already committed/) }));
    expect((await db.selectFrom('notes' as never).select('id' as never).execute()).map((r) => (r as { id: number }).id)).toEqual([2]);
  });

  it('keeps statements outside the transaction out of it: a read is answered at once with what has committed, a write waits for the transaction', async () => {
    let read: number | undefined;
    let outsideWrite: Promise<unknown> | undefined;
    let written = false;
    await db
      .transaction()
      .execute((trx) => withDirectStatements(trx, async () => {
        await insert(trx, 1);
        // On the database itself, not the transaction: before, this waited for the connection
        // the transaction holds (here: for ever).
        read = Number((await count(db)).rows[0].n);
        outsideWrite = insert(db, 2).then(() => (written = true));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(written).withContext('written while the transaction was open').toBeFalse();
        throw new Error('roll back');
      }))
      .catch(() => undefined);
    expect(read).toBe(0);
    await outsideWrite;
    expect((await notes(db).selectFrom('notes').select('id').execute()).map((r) => r.id)).toEqual([2]);
  });

  it('leaves a statement to Kysely before its first one has started the driver, and after destroy() (which closes the file)', async () => {
    const fresh = openDatabase({ dialect: 'sqlite', file: join(dir.path, 'fresh.sqlite') }).db;
    const one = () => runPrepared(fresh, 'spec.one', [1], ([n]) => fresh.selectNoFrom((eb) => eb.val(n as number).as('n')));
    const throughKysely = spyOn(fresh, 'executeQuery').and.callThrough();
    expect((await one()).rows).toEqual([{ n: 1 }]);
    expect(throughKysely).toHaveBeenCalledTimes(1);
    expect((await one()).rows).toEqual([{ n: 1 }]);
    expect(throughKysely).toHaveBeenCalledTimes(1);
    await fresh.destroy();
    const refused = await one().catch((err: unknown) => err);
    expect(refused).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(/destroyed/) }));
  });

  it("runs a statement on the app's database without Kysely's executor while nobody holds the connection, and through it while someone does", async () => {
    const throughKysely = spyOn(db, 'executeQuery').and.callThrough();
    await insert(db, 1);
    expect((await count(db)).rows).toEqual([{ n: 1 }]);
    expect(throughKysely).not.toHaveBeenCalled();
    const failed = await insert(db, 1).catch((err: unknown) => err);
    expect(failed).toEqual(jasmine.objectContaining({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }));

    // A plain Kysely transaction (not the ledger's) holds the connection: a read outside it
    // runs at once on the read-only connection and sees what has committed; a write outside it
    // waits for Kysely's mutex, then runs after the transaction.
    let readWhileOpen: number | undefined;
    let outsideWrite: Promise<unknown> | undefined;
    await db.transaction().execute(async (trx) => {
      await notes(trx).insertInto('notes').values({ id: 2, body: 'note 2' }).execute();
      readWhileOpen = Number((await count(db)).rows[0].n);
      outsideWrite = insert(db, 3);
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(readWhileOpen).toBe(1);
    await outsideWrite;
    expect(throughKysely).toHaveBeenCalledTimes(1);
    expect((await count(db)).rows).toEqual([{ n: 3 }]);

    // Idle again: direct.
    await insert(db, 4);
    expect(throughKysely).toHaveBeenCalledTimes(1);
    expect(logged.filter((e) => /notes/.test(e.query.sql) && e.level === 'error').length).toBe(1);
  });
});

describe("the app's SQLite connection (openDatabase)", () => {
  /** Files this process has open that SQLite made as temporary files (deleted, but open until the transaction ends). */
  function openTemporaryFiles(): string[] {
    return readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return target.includes('etilqs_') ? [target] : [];
      } catch {
        return [];
      }
    });
  }

  it('keeps a transaction\'s rollback journals in memory: a savepoint of more than 64 KiB of changes opens no temporary file', async () => {
    const dir = createTempDir();
    const { db } = openDatabase({ dialect: 'sqlite', file: join(dir.path, 'app.sqlite') });
    try {
      await sql`create table notes (id integer primary key, body text not null)`.execute(db);
      const during = await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 200; i++) await sql`insert into notes (body) values (${'x'.repeat(1000)})`.execute(trx);
        // Each page the savepoint's statement changes is first copied to its journal: ~200 KB.
        await sql`savepoint unit`.execute(trx);
        await sql`update notes set body = 'y' || body`.execute(trx);
        const open = openTemporaryFiles();
        await sql`release savepoint unit`.execute(trx);
        return open;
      });
      expect(during).toEqual([]);
      expect((await sql<{ n: number }>`select count(*) as n from notes where body like 'y%'`.execute(db)).rows[0].n).toBe(200);
    } finally {
      await db.destroy();
      dir.remove();
    }
  });

  it('runs migrations with temporary data in files (their sorts are as large as a table), and keeps it in memory again after', async () => {
    const dir = createTempDir();
    const { db } = openDatabase({ dialect: 'sqlite', file: join(dir.path, 'app.sqlite') });
    const tempStore = async <T>(on: Kysely<T>) => (await sql<{ temp_store: number }>`pragma temp_store`.execute(on)).rows[0].temp_store;
    try {
      let during: number | undefined;
      const migrations = { '0001-probe': { up: async (on: Kysely<unknown>) => void (during = await tempStore(on)) } };
      await migrateToLatest(db, { getMigrations: () => Promise.resolve(migrations) });
      // 1: FILE, 2: MEMORY.
      expect(during).toBe(1);
      expect(await tempStore(db)).toBe(2);
    } finally {
      await db.destroy();
      dir.remove();
    }
  });
});
