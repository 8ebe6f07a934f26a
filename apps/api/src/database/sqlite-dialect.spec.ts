import { createHook } from 'node:async_hooks';
import { sql } from 'kysely';
import { withSqliteFile } from '../testing/sqlite-file';

/** Promises created while `work` runs (async hooks switched on for it alone). */
async function promisesMadeBy(work: () => Promise<void>): Promise<number> {
  let made = 0;
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'PROMISE') made++;
    },
  });
  hook.enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return made;
}

describe('SwitchboardSqliteDialect: waiting for the connection', () => {
  it('serves those waiting for the connection in arrival order, waking each once (not every waiter at every release)', async () => {
    await withSqliteFile(async (db) => {
      await sql`create table notes (id integer primary key)`.execute(db);
      const waiting = 300;
      const answered: number[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // A transaction holds the connection while the statements outside it queue up.
      const transaction = db.transaction().execute(async (trx) => {
        await sql`insert into notes (id) values (1)`.execute(trx);
        await held;
      });
      await new Promise((resolve) => setImmediate(resolve));
      const queries = Array.from({ length: waiting }, (_, i) => sql<{ n: number }>`select ${i} as n, count(*) as c from notes`.execute(db).then((r) => void answered.push(r.rows[0].n)));

      const made = await promisesMadeBy(async () => {
        release();
        await transaction;
        await Promise.all(queries);
      });
      expect(answered).toEqual(Array.from({ length: waiting }, (_, i) => i));
      // Each waiter's own statement costs a few dozen promises, whoever serves it; woken at
      // every release, the 300 would make ~45 000 turns of the mutex's loop on top.
      expect(made / waiting).toBeLessThan(60);
    });
  });

  it('serves those waiting behind a statement that failed', async () => {
    await withSqliteFile(async (db) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const transaction = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await held;
      });
      await new Promise((resolve) => setImmediate(resolve));
      const failing = sql`select * from no_such_table`.execute(db);
      const behind = sql<{ n: number }>`select 2 as n`.execute(db);
      release();
      await transaction;
      await expectAsync(failing).toBeRejectedWithError(/no such table/);
      expect((await behind).rows).toEqual([{ n: 2 }]);
      // The connection is free again: a statement after them does not wait.
      expect((await sql<{ n: number }>`select 3 as n`.execute(db)).rows).toEqual([{ n: 3 }]);
    });
  });
});
