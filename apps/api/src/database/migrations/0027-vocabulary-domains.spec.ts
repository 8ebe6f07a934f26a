import { Migrator, sql, type Kysely } from 'kysely';
import type { Database } from '../schema';
import { describeEachDialect } from '../../testing/each-dialect';
import { VOCABULARY_CHECKS, type VocabularyCheck } from './0027-vocabulary-domains';
import { StaticMigrationProvider } from './index';

describeEachDialect('migration 0027 (the call path’s vocabularies checked through domains)', (database, dialectOfSuite) => {
  beforeEach(async () => {
    const { db } = database();
    await sql`insert into users (id, username, display_name, role, password_hash, created_at) values ('student-1', 'sam', 'Sam', 'student', 'x', '2026-12-06T12:00:00.000Z')`.execute(db);
    await sql`insert into calls (id, state, caller_id, caller_name, queued_at) values ('call-1', 'queued', 'student-1', 'Sam', '2026-12-06T12:00:00.000Z')`.execute(db);
    const at = '2026-12-06T12:00:00.000Z';
    await sql`insert into agent_presence (agent_id, display_name, state, since, idle_since) values ('student-1', 'Sam', 'offline', ${at}, ${at})`.execute(db);
    await sql`insert into call_events (id, call_id, seq, at, type) values ('event-1', 'call-1', 1, ${at}, 'queued')`.execute(db);
    await sql`insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason) values ('change-1', 'student-1', ${at}, 'offline', 'available', 'spec')`.execute(db);
    await sql`insert into deadlines (id, kind, subject_id, due_at) values ('deadline-1', 'max_wait', 'call-1', ${at})`.execute(db);
    await sql`insert into call_signals (call_id, message_id, kind, payload, created_at, seq) values ('call-1', 'message-1', 'offer', '{}', ${at}, 1)`.execute(db);
    await sql`insert into call_answer_signals (call_id, message_id, kind, payload, created_at) values ('call-1', 'message-1', 'answer', '{}', ${at})`.execute(db);
  });

  afterEach(async () => {
    const { db } = database();
    for (const table of ['call_events', 'call_signals', 'call_answer_signals', 'deadlines', 'agent_state_changes', 'agent_presence', 'calls', 'users']) await sql`delete from ${sql.table(table)}`.execute(db);
  });

  it('stores every value of each vocabulary and refuses one outside it (check_violation), changing nothing', async () => {
    const { db } = database();
    for (const check of VOCABULARY_CHECKS) {
      for (const value of check.values) await expectAsync(write(db, check, value)).withContext(`${check.table}.${check.column} = ${value}`).toBeResolved();
      const outside = typeof check.values[0] === 'number' ? 2 : 'teleported';
      const refused = await write(db, check, outside).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).withContext(`${check.table}.${check.column} = ${outside}`).not.toBeNull();
      if (dialectOfSuite === 'postgres') expect((refused as { code?: string }).code).withContext(`${check.table}.${check.column}`).toBe('23514');
      else expect(String(refused)).toMatch(/CHECK constraint failed/);
      expect(await stored(db, check)).withContext(`${check.table}.${check.column} after the refusal`).toEqual(check.values.at(-1));
    }
    // Null stays allowed where the column allows it.
    await sql`update calls set state = 'queued', outcome = null, end_reason = null, ended_by = null where id = 'call-1'`.execute(db);
  });

  if (dialectOfSuite === 'postgres') {
    it('checks each through a cast to its domain (no value list left in a table’s CHECK), and goes back down to the lists', async () => {
      const { db } = database();
      const definitions = async () =>
        Object.fromEntries(
          (
            await sql<{ name: string; definition: string }>`select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint
              where conname in (${sql.join(VOCABULARY_CHECKS.map((c) => c.constraint))})`.execute(db)
          ).rows.map((r) => [r.name, r.definition]),
        );
      const latest = await definitions();
      const domainChecks = await sql<{ name: string; definition: string }>`select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where contypid <> 0`.execute(db);
      for (const { domain, values } of VOCABULARY_CHECKS) {
        expect(domainChecks.rows.find((r) => r.name === `${domain}_values`)?.definition).withContext(`${domain}_values`).toContain(typeof values[0] === 'number' ? 'ARRAY[0, 1]' : `'${values.at(-1)}'::text`);
      }
      for (const { constraint, column, domain } of VOCABULARY_CHECKS) {
        expect(latest[constraint]).withContext(constraint).toMatch(new RegExp(`^CHECK \\(\\(\\(\\(${column}\\)::${domain}\\)(::\\w+)? = ${column}\\)\\) NOT VALID$`));
      }

      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      expect((await migrator.migrateTo('0026-missed-offer-index')).error).toBeUndefined();
      const lists = await definitions();
      // Each list as it was, value for value (and 0019's `not valid` kept).
      for (const { constraint, column, values, notValid } of VOCABULARY_CHECKS) {
        const array = values.map((v) => (typeof v === 'number' ? String(v) : `'${v}'::text`)).join(', ');
        expect(lists[constraint]).withContext(constraint).toBe(`CHECK ((${column} = ANY (ARRAY[${array}])))${notValid ? ' NOT VALID' : ''}`);
      }
      expect((await sql<{ n: number }>`select count(*)::int as n from pg_type where typtype = 'd' and typnamespace = current_schema()::regnamespace`.execute(db)).rows[0].n).toBe(0);
      // The lists refuse as the domains did.
      await expectAsync(write(db, VOCABULARY_CHECKS[0], 'teleported')).toBeRejected();

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      expect(await definitions()).toEqual(latest);
    });
  }
});

/** Sets the check's column to `value` (in the one row of its table the spec made). */
async function write(db: Kysely<Database>, check: VocabularyCheck, value: string | number): Promise<void> {
  // A call is over exactly when it has an outcome (0028's check on PostgreSQL): its state and
  // outcome are written together.
  if (check.table === 'calls' && check.column === 'state') await sql`update calls set state = ${value}, outcome = ${value === 'ended' ? 'answered' : null}`.execute(db);
  else if (check.table === 'calls' && check.column === 'outcome') await sql`update calls set outcome = ${value}, state = 'ended'`.execute(db);
  else await sql`update ${sql.table(check.table)} set ${sql.ref(check.column)} = ${value}`.execute(db);
}

/** What the check's column holds now. */
async function stored(db: Kysely<Database>, check: VocabularyCheck): Promise<unknown> {
  const { rows } = await sql<{ v: unknown }>`select ${sql.ref(check.column)} as v from ${sql.table(check.table)}`.execute(db);
  return rows[0]?.v;
}
