import { Migrator, sql } from 'kysely';
import { describeEachDialect, tableIndexes } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import { StaticMigrationProvider } from './index';
import { POOR_INDEXES } from './0019-call-poor-quality';

describeEachDialect('migration 0019 (calls.poor_quality)', (database) => {
  it('marks the calls whose quality summary counts a warning sample, indexes only those, and goes back down', async () => {
    const { db, dialect } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0018-call-sort-indexes')).error).toBeUndefined();
    const at = '2026-12-04T12:00:00.000Z';
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam.okafor', 'Sam Okafor', 'student', 'x', ${at})`.execute(db);
    // A poor call, one whose samples were all good, one without samples, and a poor one in progress.
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values
      ('call-poor', 'ended', 'answered', 'user-1', 'Sam Okafor', '2026-12-03T09:00:00.000Z'),
      ('call-good', 'ended', 'answered', 'user-1', 'Sam Okafor', '2026-12-03T10:00:00.000Z'),
      ('call-none', 'ended', 'abandoned', 'user-1', 'Sam Okafor', '2026-12-03T11:00:00.000Z'),
      ('call-live', 'connected', null, 'user-1', 'Sam Okafor', '2026-12-03T12:00:00.000Z')`.execute(db);
    const summary = { samples: 4, mos_min: 2.2, mos_sum: 14, loss_max: 20, rtt_max: 20, jitter_max: 5, high_rtt_samples: 0, high_jitter_samples: 0, high_loss_samples: 1, low_mos_samples: 1, latest_at: at, latest_sample: '{}' };
    await db
      .insertInto('call_quality')
      .values([
        { ...summary, call_id: 'call-poor', warning_samples: 1 },
        { ...summary, call_id: 'call-good', warning_samples: 0, high_loss_samples: 0, low_mos_samples: 0 },
        { ...summary, call_id: 'call-live', warning_samples: 3 },
      ])
      .execute();
    expect(await tableIndexes(db, dialect, 'call_quality')).toContain('call_quality_warning_samples_idx');

    await migrateToLatest(db);
    const marked = async () => (await db.selectFrom('calls').select(['id', 'poor_quality']).orderBy('id').execute()).map((r) => [r.id, Number(r.poor_quality)]);
    expect(await marked()).toEqual([
      ['call-good', 0],
      ['call-live', 1],
      ['call-none', 0],
      ['call-poor', 1],
    ]);
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(jasmine.arrayContaining(POOR_INDEXES.map(([name]) => name)));
    expect(await tableIndexes(db, dialect, 'call_quality')).not.toContain('call_quality_warning_samples_idx');
    // New calls are not poor until a sample says so; the mark is 0 or 1.
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values ('call-new', 'ended', 'abandoned', 'user-1', 'Sam Okafor', ${at})`.execute(db);
    expect((await db.selectFrom('calls').select('poor_quality').where('id', '=', 'call-new').executeTakeFirstOrThrow()).poor_quality).toBe(0);
    await expectAsync(db.updateTable('calls').set({ poor_quality: 2 }).where('id', '=', 'call-new').execute()).toBeRejected();
    // Each partial index holds only the poor calls.
    const inIndex = dialect === 'sqlite' ? await sql<{ n: number }>`select count(*) as n from calls indexed by calls_poor_queued_at_id_idx where poor_quality = 1 and queued_at > ''`.execute(db) : undefined;
    if (inIndex) expect(Number(inIndex.rows[0].n)).toBe(2);
    if (dialect === 'postgres') {
      const definition = (await sql<{ d: string }>`select indexdef as d from pg_indexes where indexname = 'calls_poor_talk_ms_sort_idx'`.execute(db)).rows[0].d;
      expect(definition).toMatch(/\(outcome, talk_ms, queued_at, id\) WHERE \(poor_quality = 1\)$/);
    }

    expect((await migrator.migrateTo('0018-call-sort-indexes')).error).toBeUndefined();
    const after = await tableIndexes(db, dialect, 'calls');
    for (const [name] of POOR_INDEXES) expect(after).not.toContain(name);
    expect(await tableIndexes(db, dialect, 'call_quality')).toContain('call_quality_warning_samples_idx');
    await expectAsync(sql`select poor_quality from calls`.execute(db)).toBeRejected();
    await migrateToLatest(db);
    expect(await marked()).toEqual([
      ['call-good', 0],
      ['call-live', 1],
      ['call-new', 0],
      ['call-none', 0],
      ['call-poor', 1],
    ]);
    await db.deleteFrom('call_quality').execute();
    await db.deleteFrom('calls').execute();
    await db.deleteFrom('users').execute();
  });

  it('finds what an operator did beforehand without locking the table on PostgreSQL (the column, indexes built concurrently); on SQLite the check is the column\'s own', async () => {
    const { db, dialect } = database();
    if (dialect === 'sqlite') {
      await migrateToLatest(db);
      const table = (await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'calls'`.execute(db)).rows[0].sql;
      return expect(table).toContain('check (poor_quality in (0, 1))');
    }
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0018-call-sort-indexes')).error).toBeUndefined();
    await sql`alter table calls add column if not exists poor_quality integer not null default 0`.execute(db);
    await sql`create index concurrently if not exists calls_poor_talk_ms_sort_idx on calls (outcome, talk_ms, queued_at, id) where poor_quality = 1`.execute(db);
    await migrateToLatest(db);
    expect(await tableIndexes(db, dialect, 'calls')).toEqual(jasmine.arrayContaining(POOR_INDEXES.map(([name]) => name)));
    // The check (0 or 1) holds for rows written from now on.
    const at = '2026-12-04T12:00:00.000Z';
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-1', 'sam.okafor', 'Sam Okafor', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, outcome, caller_id, caller_name, queued_at) values ('call-new', 'ended', 'abandoned', 'user-1', 'Sam Okafor', ${at})`.execute(db);
    await expectAsync(db.updateTable('calls').set({ poor_quality: 2 }).where('id', '=', 'call-new').execute()).toBeRejected();
    await db.deleteFrom('calls').execute();
    await db.deleteFrom('users').execute();
  });
});
