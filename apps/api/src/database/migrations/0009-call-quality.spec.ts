import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0009 (call quality summaries)', (database) => {
  const at = '2026-12-04T12:00:00.000Z';

  it('keeps one summary per call, deleted with its call, and goes back down cleanly', async () => {
    const { db } = database();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('user-q', 'sam-q', 'Sam', 'student', 'x', ${at})`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-q', 'connected', 'user-q', 'Sam', ${at})`.execute(db);
    const summary = {
      call_id: 'call-q', samples: 1, mos_min: 2.25, mos_sum: 2.25, loss_max: 20.5, rtt_max: null, jitter_max: 4.5, warning_samples: 1,
      high_rtt_samples: 0, high_jitter_samples: 0, high_loss_samples: 1, low_mos_samples: 1, latest_at: at, latest_sample: '{}',
    };
    await db.insertInto('call_quality').values(summary).execute();
    await expectAsync(db.insertInto('call_quality').values(summary).execute()).toBeRejected(); // one per call
    await expectAsync(db.insertInto('call_quality').values({ ...summary, call_id: 'no-such-call' }).execute()).toBeRejected();
    expect(await db.selectFrom('call_quality').selectAll().execute()).toEqual([summary]); // fractions come back as numbers
    await sql`delete from calls where id = 'call-q'`.execute(db);
    expect(await db.selectFrom('call_quality').selectAll().execute()).toEqual([]);
    await sql`delete from users where id = 'user-q'`.execute(db);

    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0008-call-event-reconnections')).error).toBeUndefined();
    await expectAsync(sql`select 1 from call_quality`.execute(db)).toBeRejected();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
});
