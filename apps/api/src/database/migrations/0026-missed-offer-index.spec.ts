import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { MISSED_OFFER_INDEX } from './0026-missed-offer-index';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0026 (the missed offers’ index)', (database, dialectOfSuite) => {
  const { name } = MISSED_OFFER_INDEX;

  it('indexes the missed offers only, by call, with their agent, takes one built ahead on PostgreSQL, and goes back down', async () => {
    const { db, dialect } = database();
    const definition = async () =>
      dialect === 'sqlite'
        ? (await sql<{ d: string }>`select sql as d from sqlite_master where type = 'index' and name = ${name}`.execute(db)).rows[0]?.d
        : (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname = ${name}`.execute(db)).rows[0]?.d;
    expect(await definition()).toMatch(dialect === 'sqlite' ? /on "call_events" \(call_id, actor_id, actor_name\) where type = 'missed'$/ : /ON public\.call_events USING btree \(call_id, actor_id, actor_name\) WHERE \(type = 'missed'::text\)$/);
    const latest = await tableIndexes(db, dialect, 'call_events');

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0025-agent-routing-index')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'call_events')).toEqual(latest.filter((index) => index !== name));
    // Built ahead without stopping writes, as the migration's comment says: taken as it is.
    if (dialect === 'postgres') await sql`create index concurrently ${sql.id(name)} on call_events (call_id, actor_id, actor_name) where type = 'missed'`.execute(db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'call_events')).toEqual(latest);
  });

  if (dialectOfSuite === 'postgres') {
    it('refuses an index of its name built ahead over every entry (PostgreSQL)', async () => {
      const { db } = database();
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      expect((await migrator.migrateTo('0025-agent-routing-index')).error).toBeUndefined();
      await sql`create index ${sql.id(name)} on call_events (call_id, actor_id, actor_name)`.execute(db);
      const { error } = await migrator.migrateToLatest();
      expect(error).toEqual(jasmine.objectContaining({ message: jasmine.stringMatching(new RegExp(`${name} is not the valid index`)) }));
      await sql`drop index ${sql.id(name)}`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
    });
  }
});
