import { Migrator, sql } from 'kysely';
import { callFilters } from '../../supervisor/call-queries';
import { describeEachDialect } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0016 (the callers’ search index)', (database) => {
  it('indexes the callers of the stored calls and of new ones, and goes back down to 0011’s index', async () => {
    const { db, dialect } = database();
    const at = '2026-12-04T12:00:00.000Z';
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0015-retention-run-status')).error).toBeUndefined();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam.okafor', 'Sam Okafor', 'student', 'x', ${at}), ('user-2', 'ana.ruiz', 'Ana Ruiz', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values
      ('call-1', 'ended', 'abandoned', 'user-1', 'Sam Okafor', '2026-12-03T09:00:00.000Z'),
      ('call-2', 'ended', 'abandoned', 'user-1', 'Samuel Okafor', '2026-12-03T10:00:00.000Z'),
      ('call-3', 'ended', 'abandoned', 'user-1', 'Sam Okafor', '2026-12-03T11:00:00.000Z')`.execute(db);

    await migrateToLatest(db);
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values ('call-4', 'ended', 'abandoned', 'user-2', 'Ana Ruiz', '2026-12-03T12:00:00.000Z')`.execute(db);
    expect(await db.selectFrom('call_callers').select(['caller_id', 'caller_name']).orderBy('caller_name').execute()).toEqual([
      { caller_id: 'user-2', caller_name: 'Ana Ruiz' },
      { caller_id: 'user-1', caller_name: 'Sam Okafor' },
      { caller_id: 'user-1', caller_name: 'Samuel Okafor' },
    ]);
    const found = async (student: string) => (await db.selectFrom('calls').select('id').where((eb) => callFilters(eb, { student }, dialect)).orderBy('id').execute()).map((r) => r.id);
    expect(await found('muel')).toEqual(['call-2']);
    expect(await found('OKAF')).toEqual(['call-1', 'call-2', 'call-3']);
    expect(await found('ana.r')).toEqual(['call-4']);

    expect((await migrator.migrateTo('0015-retention-run-status')).error).toBeUndefined();
    await expectAsync(sql`select * from call_callers`.execute(db)).toBeRejected();
    if (dialect === 'sqlite') {
      expect((await sql<{ n: number }>`select count(*) as n from calls_search where calls_search match '"okafor"'`.execute(db)).rows[0].n).toBe(3);
    } else {
      expect((await sql`select 1 from pg_indexes where indexname = 'calls_caller_name_trgm_idx'`.execute(db)).rows.length).toBe(1);
    }
    await migrateToLatest(db);
  });
});
