import { Migrator, sql } from 'kysely';
import { describeEachDialect, queryPlan, tableIndexes } from '../../testing/each-dialect';
import { AGENT_ROUTING_INDEX } from './0025-agent-routing-index';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0025 (routing reads free agents on an index)', (database, dialectOfSuite) => {
  it('indexes the agents by state, connection and idle time, and goes back down', async () => {
    const { db, dialect } = database();
    expect(await tableIndexes(db, dialect, 'agent_presence')).toContain(AGENT_ROUTING_INDEX);
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0024-sqlite-clustered-logs')).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'agent_presence')).not.toContain(AGENT_ROUTING_INDEX);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect(await tableIndexes(db, dialect, 'agent_presence')).toContain(AGENT_ROUTING_INDEX);
  });

  if (dialectOfSuite === 'sqlite') {
    it("reads the longest-idle free agents in order from it, without reading or sorting every agent's row (SQLite)", async () => {
      const { db } = database();
      const plan = (query: ReturnType<typeof sql>) => queryPlan(db, 'sqlite', query);
      // The placing transaction's pick (`freeForPlacement`) and routing's (`offerable`).
      const placing = await plan(
        sql`select agent_presence.* from agent_presence where state = ${'available'} and connected = ${1} and not exists (select calls.id from calls where calls.state = ${'queued'} and calls.id <> ${'c'}) order by idle_since, agent_id limit ${1}`,
      );
      expect(placing).toMatch(new RegExp(`^SEARCH agent_presence USING INDEX ${AGENT_ROUTING_INDEX} \\(state=\\? AND connected=\\?\\)`));
      expect(placing).not.toContain('TEMP B-TREE');
      const routing = await plan(sql`select agent_id, idle_since from agent_presence where state = ${'available'} and connected = ${1} order by idle_since, agent_id limit ${3}`);
      expect(routing).toBe(`SEARCH agent_presence USING COVERING INDEX ${AGENT_ROUTING_INDEX} (state=? AND connected=?)`);
    });
  }
});
