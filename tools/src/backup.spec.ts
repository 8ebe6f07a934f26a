import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
/* eslint-disable @nx/enforce-module-boundaries -- the backup is proven against the running API */
import { DATABASE } from '../../apps/api/src/database/database.module';
import { startTestApp, type TestApp } from '../../apps/api/src/testing/test-app';
/* eslint-enable @nx/enforce-module-boundaries */
import { backup } from './backup';
import { seedMonth, type Database, type ToolOutput } from './tool-context';

function capture(): ToolOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };
}

/** How many more calls the test lets the API write while the backup runs, at most. */
const MAX_WRITES = 5_000;

describe('npm run backup', () => {
  let app: TestApp;
  beforeEach(async () => (app = await startTestApp()));
  afterEach(async () => await app.close());

  it('copies the live SQLite database while the API writes calls; the copy opens, is whole and holds the calls', async () => {
    const db = app.app.get<Kysely<Database>>(DATABASE);
    await seedMonth(db, { seed: 7, days: 4, callsPerDay: 500, dispositions: ['Resolved'] });
    const student = await db.selectFrom('users').select(['id', 'display_name']).where('role', '=', 'student').executeTakeFirstOrThrow();
    const countCalls = async () => Number((await db.selectFrom('calls').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await countCalls();

    // The API keeps committing calls, one transaction each, until the backup is done.
    let backingUp = true;
    let written = 0;
    const writer = (async () => {
      while (backingUp && written < MAX_WRITES) {
        const now = new Date().toISOString();
        await db
          .insertInto('calls')
          .values({
            id: randomUUID(),
            state: 'ended',
            outcome: 'abandoned',
            caller_id: student.id,
            caller_name: student.display_name,
            agent_id: null,
            agent_name: null,
            ringing_agent_id: null,
            rings_out_at: null,
            queued_at: now,
            answered_at: null,
            connected_at: null,
            ended_at: now,
            ended_by: 'caller',
            end_reason: 'caller_left',
            queue_ms: 0,
            talk_ms: null,
            wrap_up_ms: null,
            disposition: null,
            notes: null,
            negotiation_id: null,
          })
          .execute();
        written++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const target = join(app.config.dataDir, 'copies', 'copy.sqlite');
    const out = capture();
    const code = await backup(['--to', target], { DATA_DIR: app.config.dataDir, JWT_SECRET: app.config.jwtSecret }, out);
    backingUp = false;
    await writer;
    expect(code).withContext(out.lines.join('\n')).toBe(0);
    expect(written).toBeGreaterThan(0);

    const copy = new SQLite(target, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      const copied = (copy.prepare('select count(*) as n from calls').get() as { n: number }).n;
      expect(copied).toBeGreaterThanOrEqual(before);
      expect(copied).toBeLessThanOrEqual(before + written);
      expect(out.lines).toEqual([jasmine.stringMatching(new RegExp(`^Backed up ${copied} calls and \\d+ users to ${target.replace(/[.\\/]/g, '\\$&')} `))]);
      // Every call that was stored before the backup started is in it, timeline included.
      const seededEvents = Number((await db.selectFrom('call_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      expect((copy.prepare('select count(*) as n from call_events').get() as { n: number }).n).toBe(seededEvents);
    } finally {
      copy.close();
    }
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(await backup(['--to', target], { DATA_DIR: app.config.dataDir, JWT_SECRET: app.config.jwtSecret }, out)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/exists already/);
  }, 90_000); // starts the API, seeds 2 000 calls (with their roll-ups and search index) and copies it: slow on a loaded machine

  it('refuses PostgreSQL and names pg_dump', async () => {
    const out = capture();
    expect(await backup([], { DATA_DIR: app.config.dataDir, DATABASE_URL: 'postgres://127.0.0.1:5432/nowhere', JWT_SECRET: app.config.jwtSecret }, out)).toBe(1);
    expect(out.lines[0]).toMatch(/pg_dump/);
  });
});
