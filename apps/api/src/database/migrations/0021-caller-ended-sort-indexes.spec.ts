import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { ENDED_CALLER_INDEXES } from './0021-caller-ended-sort-indexes';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0021 (the ended calls’ caller sort indexes)', (database, dialectOfSuite) => {
  const names = ENDED_CALLER_INDEXES.map(([name]) => name);
  const definition = (columns: readonly string[]) => sql.raw(`(${columns.join(', ')}) include (agent_id) where outcome is not null`);

  it('adds the partial caller indexes on PostgreSQL only, takes ones built ahead, and goes back down', async () => {
    const { db, dialect } = database();
    // As 0021 left them (0022 changes other indexes of calls).
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    const latest = await tableIndexes(db, dialect, 'calls');
    for (const name of names) expect(latest.includes(name)).withContext(name).toBe(dialect === 'postgres');

    expect((await migrator.migrateTo('0020-caller-sort-columns')).error).toBeUndefined();
    const before = await tableIndexes(db, dialect, 'calls');
    for (const name of names) expect(before).not.toContain(name);
    expect(latest.filter((name) => !names.includes(name))).toEqual(before);

    // Built ahead without stopping writes, as the migration's comment says: taken as they are.
    if (dialect === 'postgres') {
      for (const [name, columns] of ENDED_CALLER_INDEXES) await sql`create index concurrently ${sql.id(name)} on calls ${definition(columns)}`.execute(db);
    }
    expect((await migrator.migrateTo('0021-caller-ended-sort-indexes')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(latest);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });

  if (dialectOfSuite === 'postgres') {
    it('refuses an index of one of its names built ahead that is not that one, not on calls or not usable (PostgreSQL)', async () => {
      const { db, dialect } = database();
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      const [name, columns] = ENDED_CALLER_INDEXES[1];
      const ahead = {
        // The right columns, but every call in it (not only the ended ones).
        'not partial': async () => sql`create index ${sql.id(name)} on calls (${sql.raw(columns.join(', '))}) include (agent_id)`.execute(db),
        'other columns': async () => sql`create index ${sql.id(name)} on calls (caller_id, talk_ms) where outcome is not null`.execute(db),
        // A concurrent build that failed leaves its index invalid (marked so here).
        invalid: async () => {
          await sql`create index concurrently ${sql.id(name)} on calls ${definition(columns)}`.execute(db);
          await sql`update pg_index set indisvalid = false where indexrelid = ${name}::regclass`.execute(db);
        },
      };
      for (const [what, build] of Object.entries(ahead)) {
        expect((await migrator.migrateTo('0020-caller-sort-columns')).error).withContext(what).toBeUndefined();
        await build();
        const { error } = await migrator.migrateToLatest();
        expect(error).withContext(what).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(new RegExp(`${name} is not the valid index`)) }));
        // Nothing changed: the migration's transaction rolled back the indexes it had built.
        const left = await tableIndexes(db, dialect, 'calls');
        expect(left.filter((index) => names.includes(index))).withContext(what).toEqual([name]);
        await sql`drop index ${sql.id(name)}`.execute(db);
      }
      // The very index, but on another table (a copy of calls): `calls` would be left without it.
      expect((await migrator.migrateTo('0020-caller-sort-columns')).error).toBeUndefined();
      await sql`create table calls_copy (like calls)`.execute(db);
      await sql`create index ${sql.id(name)} on calls_copy ${definition(columns)}`.execute(db);
      const { error } = await migrator.migrateToLatest();
      expect(error).withContext('on another table').toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(new RegExp(`${name} is not the valid index`)) }));
      await sql`drop table calls_copy`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    });
  }
});
