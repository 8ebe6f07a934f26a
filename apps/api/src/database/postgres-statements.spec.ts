import { createServer, connect, Socket, type Server } from 'node:net';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../testing/postgres';
import { writesDuring } from '../testing/socket-writes';
import { RESULT_UNREAD, statementName, withNamedStatements } from './postgres-statements';

interface Schema {
  notes: { id: number; body: string };
}

describe('withNamedStatements (PostgreSQL)', () => {
  let pg: TestPostgresDatabase;
  let db: Kysely<Schema>;

  function open(maxPerConnection?: number): void {
    // One connection, so the session's prepared statements are the ones every query used.
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withNamedStatements(new Pool({ connectionString: pg.url, max: 1 }), maxPerConnection) }) });
  }

  /** The statements prepared in the (one) session, as the server lists them. */
  async function prepared(): Promise<{ name: string; statement: string }[]> {
    const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements where statement not like '%pg_prepared_statements%'`.execute(db);
    return rows;
  }

  beforeAll(async () => {
    pg = await createTestPostgresDatabase();
  });
  beforeEach(async () => {
    open();
    await sql`create table notes (id integer primary key, body text not null)`.execute(db);
  });
  afterEach(async () => {
    await sql`drop table notes`.execute(db);
    await db.destroy();
  });
  afterAll(() => pg.drop());

  it('prepares a repeated query once per connection under a name from its text, and answers it right', async () => {
    for (let id = 1; id <= 20; id++) await db.insertInto('notes').values({ id, body: `note ${id}` }).execute();
    const select = (id: number) => db.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirstOrThrow();
    const bodies = [];
    for (let id = 1; id <= 20; id++) bodies.push((await select(id)).body);
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, n) => `note ${n + 1}`));
    const insertText = db.insertInto('notes').values({ id: 0, body: '' }).compile().sql;
    const selectText = db.selectFrom('notes').select('body').where('id', '=', 0).compile().sql;
    expect((await prepared()).sort((a, b) => a.statement.localeCompare(b.statement))).toEqual(
      [
        { name: statementName(insertText), statement: insertText },
        { name: statementName(selectText), statement: selectText },
      ].sort((a, b) => a.statement.localeCompare(b.statement)),
    );
    const updated = await db.updateTable('notes').set({ body: 'x' }).where('id', '<=', 5).executeTakeFirstOrThrow();
    const again = await db.updateTable('notes').set({ body: 'x' }).where('id', '<=', 7).executeTakeFirstOrThrow();
    expect([updated.numUpdatedRows, again.numUpdatedRows]).toEqual([5n, 7n]);
  });

  /** A named statement's result columns are worked out once (pg's addFields), rows parsed as pg does, and again after the table changed. */
  async function columnsWorkedOutOnce(): Promise<void> {
    // pg's Result (lib/result.js): addFields builds a result's column parsers and template row.
    const Result = require('pg/lib/result') as { prototype: { addFields(fields: unknown): void } };
    const addFields = spyOn(Result.prototype, 'addFields').and.callThrough();
    await db.insertInto('notes').values({ id: 1, body: 'one' }).execute();
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await db.selectFrom('notes').select(['id', 'body']).where('id', '=', 1).execute());
    expect(rows).toEqual(Array.from({ length: 5 }, () => [{ id: 1, body: 'one' }]));
    // The first run is unnamed (a text is named the second time), the second builds the named statement's columns.
    expect(addFields).toHaveBeenCalledTimes(2);
    await sql`alter table notes alter column id type bigint`.execute(db);
    // Refused after the change (result type), run unnamed from then on: its new columns (bigint: a string).
    expect(await db.selectFrom('notes').select(['id', 'body']).where('id', '=', 1).execute()).toEqual([{ id: '1', body: 'one' } as never]);
  }

  it('works out a named statement\'s result columns once, and parses its rows as pg does', columnsWorkedOutOnce);

  it('writes a statement\'s protocol messages to the socket as one buffer', async () => {
    await db.insertInto('notes').values({ id: 1, body: 'one' }).execute();
    const select = () => db.selectFrom('notes').select('body').where('id', '=', 1).executeTakeFirstOrThrow();
    await select();
    const write = spyOn(Socket.prototype, 'write').and.callThrough();
    expect(await select()).toEqual({ body: 'one' });
    // Bind, Describe, Execute and Sync: one write (pg alone writes each, corked).
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('leaves one-off SQL and transaction control unnamed', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 1, body: 'once' }).execute();
    });
    expect(await prepared()).toEqual([]);
  });

  it('answers a prepared `select *` after the table changed, by running it unnamed from then on', async () => {
    await db.insertInto('notes').values({ id: 1, body: 'first' }).execute();
    const all = () => sql<Record<string, unknown>>`select * from notes`.execute(db).then((r) => r.rows);
    await all();
    expect(await all()).toEqual([{ id: 1, body: 'first' }]);
    expect((await prepared()).map((p) => p.statement)).toContain('select * from notes');
    await sql`alter table notes add column pinned integer not null default 0`.execute(db);
    expect(await all()).toEqual([{ id: 1, body: 'first', pinned: 0 }]);
    expect(await all()).toEqual([{ id: 1, body: 'first', pinned: 0 }]);
  });

  it('names at most `max` texts per connection and runs the rest unnamed, still right', async () => {
    await db.destroy();
    open(3);
    await db.insertInto('notes').values({ id: 1, body: 'first' }).execute();
    const probe = (n: number) => sql<{ n: number }>`select ${sql.raw(String(n))} + id as n from notes`.execute(db).then((r) => r.rows[0].n);
    for (let n = 0; n < 8; n++) {
      expect(await probe(n)).toBe(n + 1);
      expect(await probe(n)).toBe(n + 1);
    }
    const names = await prepared();
    expect(names.length).toBe(3);
    expect(names.map((p) => p.statement).sort()).toEqual([0, 1, 2].map((n) => `select ${n} + id as n from notes`));
  });

  describe('on a pipelining connection', () => {
    beforeEach(async () => {
      await db.destroy();
      db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withNamedStatements(new Pool({ connectionString: pg.url, max: 1, pipeline: true })) }) });
    });

    it('works out a named statement\'s result columns once there too', columnsWorkedOutOnce);

    const unread = (trx: Kysely<Schema>, id: number) => trx.executeQuery(CompiledQuery.raw(`${RESULT_UNREAD}insert into notes (id, body) values ($1, $2)`, [id, `note ${id}`]));
    const count = (trx: Kysely<Schema>) => sql<{ n: string }>`select count(*) as n from notes`.execute(trx).then((r) => Number(r.rows[0].n));

    it('sends a transaction\'s begin and the statements whose results are not read with its next statement, in one write', async () => {
      await count(db);
      let seen = -1;
      const writes = await writesDuring(() =>
        db.transaction().execute(async (trx) => {
          for (const id of [1, 2, 3]) await unread(trx, id);
          seen = await count(trx);
        }),
      );
      expect(seen).withContext('the held inserts ran before the next statement').toBe(3);
      expect(writes).withContext('begin + 3 inserts + select, then commit').toBe(2);
      expect(await count(db)).toBe(3);
    });

    it('throws a held statement\'s error from the commit, and stores nothing of the transaction', async () => {
      const commit = db.transaction().execute(async (trx) => {
        await unread(trx, 1);
        await unread(trx, 1);
      });
      await expectAsync(commit).toBeRejectedWith(jasmine.objectContaining({ code: '23505' }));
      expect(await count(db)).toBe(0);
    });

    it('throws a held statement\'s own error from the next statement, not "transaction aborted"', async () => {
      const next = db.transaction().execute(async (trx) => {
        await unread(trx, 1);
        await unread(trx, 1);
        await count(trx);
      });
      await expectAsync(next).toBeRejectedWith(jasmine.objectContaining({ code: '23505' }));
      expect(await count(db)).toBe(0);
    });

    it('answers a prepared `select *` after the table changed, retried unnamed behind the refused one', async () => {
      await db.insertInto('notes').values({ id: 1, body: 'first' }).execute();
      const all = () => sql<Record<string, unknown>>`select * from notes`.execute(db).then((r) => r.rows);
      await all();
      await all();
      await sql`alter table notes add column pinned integer not null default 0`.execute(db);
      expect(await all()).toEqual([{ id: 1, body: 'first', pinned: 0 }]);
      expect(await count(db)).withContext('the connection goes on').toBe(1);
    });

    it('does not retry a held statement whose prepared plan was refused after the commit went out behind it', async () => {
      const unreadReturning = (trx: Kysely<Schema>, id: number) => trx.executeQuery(CompiledQuery.raw(`${RESULT_UNREAD}insert into notes (id, body) values ($1, $2) returning *`, [id, `note ${id}`]));
      // Prepared on the connection (named from the second run), then its result type changed.
      await unreadReturning(db, 1);
      await unreadReturning(db, 2);
      await sql`alter table notes add column pinned integer not null default 0`.execute(db);
      // begin, the two inserts and the commit leave in one write: the second insert's plan is
      // refused (0A000), which aborts the transaction; the commit then only reports ROLLBACK.
      const commit = db.transaction().execute(async (trx) => {
        await unread(trx, 3);
        await unreadReturning(trx, 4);
      });
      await expectAsync(commit).toBeRejectedWith(jasmine.objectContaining({ code: '0A000' }));
      const ids = await db.selectFrom('notes').select('id').orderBy('id').execute();
      expect(ids.map((row) => row.id)).withContext('nothing of the transaction stored').toEqual([1, 2]);
    });

    describe('with the server\'s answers delayed', () => {
      /** How long each answer of the server takes to come back (the proxy below): long enough that a loaded machine's late timers (tens of ms) do not count as a round trip. */
      const DELAY_MS = 300;
      let proxy: Server;
      const sockets = new Set<Socket>();

      beforeEach(async () => {
        await db.destroy();
        const target = new URL(pg.url);
        // Passes the client's bytes on at once and the server's after DELAY_MS: each round trip a transaction waits for takes DELAY_MS.
        proxy = createServer((client) => {
          const server = connect(Number(target.port || 5432), target.hostname);
          for (const s of [client, server]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => sockets.delete(s));
          }
          client.on('data', (d) => server.write(d));
          server.on('data', (d) => setTimeout(() => client.writable && client.write(d), DELAY_MS));
          client.on('close', () => server.destroy());
          server.on('close', () => setTimeout(() => client.destroy(), DELAY_MS));
        });
        await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
        const port = (proxy.address() as { port: number }).port;
        const url = new URL(pg.url);
        url.hostname = '127.0.0.1';
        url.port = String(port);
        db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withNamedStatements(new Pool({ connectionString: url.toString(), max: 1, pipeline: true })) }) });
        // The connection is open (and the notes table known) before the timing starts.
        await count(db);
      });
      afterEach(async () => {
        await db.destroy();
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => proxy.close(resolve));
        // The outer afterEach drops the table through a connection of its own.
        db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: withNamedStatements(new Pool({ connectionString: pg.url, max: 1 })) }) });
      });

      /** How many DELAY_MS round trips `work` waited for (rounded). */
      async function roundTrips(work: () => Promise<unknown>): Promise<number> {
        const started = performance.now();
        await work();
        return Math.round((performance.now() - started) / DELAY_MS);
      }

      it('does not wait for the commit of a transaction that only read, and the connection goes on after it', async () => {
        await unread(db, 1);
        expect(await roundTrips(() => db.transaction().execute((trx) => count(trx)))).withContext('begin + select; the commit not awaited').toBe(1);
        expect(await roundTrips(() => db.transaction().execute((trx) => unread(trx, 2)))).withContext('a transaction that wrote waits for its commit').toBe(1);
        expect(
          await roundTrips(() =>
            db.transaction().execute(async (trx) => {
              await count(trx);
              await unread(trx, 3);
            }),
          ),
        ).withContext('begin + select, then insert + commit, awaited').toBe(2);
        expect(await count(db)).toBe(3);
        // A select that locks rows holds them until its commit: that commit is waited for, so
        // whoever goes on after the transaction finds the locks released.
        expect(await roundTrips(() => db.transaction().execute((trx) => trx.selectFrom('notes').select('id').where('id', '=', 1).forNoKeyUpdate().execute())))
          .withContext('begin + select for no key update, then the commit, awaited')
          .toBe(2);
      });

      it('does not wait for a rollback, nor send one after a failed commit, and the connection goes on', async () => {
        const failed = () =>
          db.transaction().execute(async (trx) => {
            await unread(trx, 1);
            await count(trx);
            throw new Error('changed my mind');
          });
        expect(await roundTrips(() => failed().catch(() => undefined))).withContext('begin + insert + select; the rollback not awaited').toBe(1);
        const failedCommit = () =>
          db.transaction().execute(async (trx) => {
            await unread(trx, 5);
            await unread(trx, 5);
          });
        expect(await roundTrips(() => failedCommit().catch(() => undefined))).withContext('begin + inserts + commit, failed: no rollback sent').toBe(1);
        expect(await count(db)).withContext('nothing of either was stored').toBe(0);
        await db.transaction().execute((trx) => unread(trx, 6));
        expect(await count(db)).toBe(1);
      });
    });

    it('sends nothing it held for a transaction rolled back, and the connection goes on', async () => {
      const failed = db.transaction().execute(async (trx) => {
        await unread(trx, 1);
        throw new Error('changed my mind');
      });
      await expectAsync(failed).toBeRejectedWithError('changed my mind');
      expect(await count(db)).toBe(0);
      await unread(db, 2);
      expect(await count(db)).withContext('outside a transaction it runs at once').toBe(1);
    });
  });
});
