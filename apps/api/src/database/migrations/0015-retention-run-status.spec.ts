import { Migrator, sql } from 'kysely';
import { describeEachDialect } from '../../testing/each-dialect';
import { migrateToLatest } from '../database';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0015 (retention runs’ status)', (database) => {
  const run = (id: string, status?: string) =>
    sql`insert into retention_runs (id, node_id, started_at, finished_at, months, cutoff, calls_deleted, events_deleted, callbacks_deleted, batches${sql.raw(status ? ', status' : '')})
      values (${id}, 'node-1', '2026-12-04T00:00:00.000Z', '2026-12-04T00:01:00.000Z', 1, '2026-11-04T00:00:00.000Z', 10, 20, 0, 1${status ? sql`, ${status}` : sql``})`.execute(database().db);

  it('marks the passes recorded before it completed, allows only the known endings, and goes back down', async () => {
    const { db } = database();
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0014-call-quality-warnings')).error).toBeUndefined();
    await run('run-1');
    await migrateToLatest(db);
    await run('run-2', 'handed_over');
    await expectAsync(run('run-3', 'lost')).toBeRejected();
    expect(await db.selectFrom('retention_runs').select(['id', 'status']).orderBy('id').execute()).toEqual([
      { id: 'run-1', status: 'completed' },
      { id: 'run-2', status: 'handed_over' },
    ]);

    expect((await migrator.migrateTo('0014-call-quality-warnings')).error).toBeUndefined();
    expect(await db.selectFrom('retention_runs').select('id').execute()).toEqual([{ id: 'run-1' }]);
  });
});
