import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
// eslint-disable-next-line @nx/enforce-module-boundaries -- a throw-away PostgreSQL database, as the API's own specs make them
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../../apps/api/src/testing/postgres';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the seeded accounts must open with the demo password
import { verifyPassword } from '../../apps/api/src/auth/password';
import { seedHistoryTool } from './seed-history';
import { DEMO_PASSWORD, runWithUsers, type Database, type ToolOutput } from './tool-context';

function capture(): ToolOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };
}

const ARGS = ['--calls', '3000', '--students', '300', '--calls-per-day', '90', '--seed', '3', '--end', '2026-11-23'];

/** The names of the indexes and triggers on the tables seed:history fills. */
async function schemaObjects(db: Kysely<Database>, postgres: boolean): Promise<string[]> {
  const rows = postgres
    ? await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and tablename in ('calls', 'call_events', 'users') order by 1`.execute(db)
    : await sql<{ name: string }>`select type || ' ' || name as name from sqlite_master where tbl_name in ('calls', 'call_events', 'users') and type in ('index', 'trigger') order by 1`.execute(db);
  return rows.rows.map((r) => r.name);
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`seed:history [${dialect}]`, () => {
    let env: Record<string, string>;
    let pg: TestPostgresDatabase | undefined;
    beforeEach(async () => {
      pg = dialect === 'postgres' ? await createTestPostgresDatabase() : undefined;
      env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'switchboard-seed-history-')), ...(pg ? { DATABASE_URL: pg.url } : {}) };
    });
    afterEach(async () => {
      rmSync(env['DATA_DIR'], { recursive: true, force: true });
      await pg?.drop();
    });

    it('stores the calls asked for with their timelines, search index, accounts and roll-ups, as the triggers and the ledger would', async () => {
      let before: string[] = [];
      await runWithUsers(env, capture(), async (_users, _config, db) => {
        before = await schemaObjects(db, dialect === 'postgres');
      });
      const out = capture();
      expect(await seedHistoryTool(ARGS, env, out)).withContext(out.lines.join('\n')).toBe(0);
      expect(out.lines[0]).toMatch(/^Seeded 3000 calls \(\d+ timeline events\) from .* to 2026-11-23T00:00:00.000Z for 340 students in /);
      await runWithUsers(env, capture(), async (_users, _config, db) => {
        // Every index (and on SQLite the search triggers) is there again after the bulk load.
        expect(await schemaObjects(db, dialect === 'postgres')).toEqual(before);
        const calls = await db.selectFrom('calls').innerJoin('users', 'users.id', 'calls.caller_id').select(['calls.id', 'calls.caller_id', 'calls.caller_name', 'users.username', 'calls.outcome']).execute();
        expect(calls.length).toBe(3000);
        // Each call's timeline, numbered from 1 without gaps.
        const events = await db.selectFrom('call_events').select(['call_id', 'seq']).orderBy('call_id').orderBy('seq').execute();
        const byCall = new Map<string, number[]>();
        for (const e of events) byCall.set(e.call_id, [...(byCall.get(e.call_id) ?? []), e.seq]);
        expect(byCall.size).toBe(3000);
        for (const seqs of byCall.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        // The student search's callers: each (caller, name on the call) pair of the calls once.
        const pairs = await sql<{ pair: string }>`select caller_id || ' ' || caller_name as pair from call_callers`.execute(db);
        expect(pairs.rows.map((r) => r.pair).sort()).toEqual([...new Set(calls.map((c) => `${c.caller_id} ${c.caller_name}`))].sort());
        if (dialect === 'sqlite') {
          // Their trigram index finds a caller by username.
          const match = await sql<{ n: number }>`select count(*) as n from call_callers_search where call_callers_search match ${`"${calls[0].username.slice(-6)}"`}`.execute(db);
          expect(match.rows[0].n).toBeGreaterThan(0);
        }
        // Roll-ups rebuilt for every call with an outcome.
        const rolled = await db.selectFrom('call_rollups').select((eb) => eb.fn.sum<string | number>('calls').as('n')).executeTakeFirstOrThrow();
        expect(Number(rolled.n)).toBe(calls.filter((c) => c.outcome !== null).length);
        // The students share one hash of the demo password.
        const students = await db.selectFrom('users').select('password_hash').where('role', '=', 'student').execute();
        expect(students.length).toBe(340);
        expect(new Set(students.map((s) => s.password_hash)).size).toBe(1);
        expect(await verifyPassword(DEMO_PASSWORD, students[0].password_hash)).toBeTrue();
      });
    }, 120_000);

    it('refuses a database that holds calls, changing nothing', async () => {
      const out = capture();
      expect(await seedHistoryTool(['--calls', '200', '--students', '20', '--end', '2026-11-23'], env, out)).toBe(0);
      expect(await seedHistoryTool(ARGS, env, out)).toBe(1);
      expect(out.lines[1]).toMatch(/ERROR Cannot seed: 200 calls are already stored; seed a history into an empty database/);
      await runWithUsers(env, capture(), async (_users, _config, db) => {
        expect(Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(200);
        expect(Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).where('role', '=', 'student').executeTakeFirstOrThrow()).n)).toBe(60);
      });
    }, 60_000);
  });
}

describe('seed:history options', () => {
  it('refuses in production and on bad options', async () => {
    const out = capture();
    const env = { DATA_DIR: join(tmpdir(), 'switchboard-seed-history-never-created') };
    expect(await seedHistoryTool(['--calls', '10'], { ...env, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }, out)).toBe(1);
    expect(out.lines[0]).toMatch(/ERROR Refusing .*NODE_ENV=production/);
    expect(await seedHistoryTool([], env, out)).toBe(1);
    expect(out.lines[1]).toMatch(/--calls is required/);
    expect(await seedHistoryTool(['--calls', 'lots'], env, out)).toBe(1);
    expect(out.lines[2]).toMatch(/--calls must be a whole number/);
  });
});
