import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedMonthTool } from './seed-month';
import { runWithUsers, type ToolOutput } from './tool-context';

function capture(): ToolOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };
}

describe('seed:month', () => {
  let env: Record<string, string>;
  beforeEach(() => (env = { DATA_DIR: mkdtempSync(join(tmpdir(), 'switchboard-seed-')) }));
  afterEach(() => rmSync(env['DATA_DIR'], { recursive: true, force: true }));

  async function callIds(): Promise<string[]> {
    let ids: string[] = [];
    await runWithUsers(env, capture(), async (_users, _config, db) => {
      ids = (await db.selectFrom('calls').select('id').orderBy('id').execute()).map((r) => r.id);
    });
    return ids;
  }

  it('stores the same month for the same seed, and refuses to mix without --replace', async () => {
    const out = capture();
    const args = ['--seed', '7', '--days', '7', '--calls-per-day', '30', '--end', '2026-11-23'];
    expect(await seedMonthTool(args, env, out)).toBe(0);
    expect(out.lines[0]).toMatch(/^Seeded \d+ calls .* from 2026-11-16T00:00:00.000Z to 2026-11-23T00:00:00.000Z for 6 agents and 40 students/);
    const first = await callIds();
    expect(first.length).toBeGreaterThan(50);
    expect(await seedMonthTool(args, env, out)).toBe(1);
    expect(out.lines[1]).toMatch(/ERROR Cannot seed: \d+ calls are already stored .* --replace/);
    expect(await seedMonthTool([...args, '--replace'], env, out)).toBe(0);
    expect(await callIds()).toEqual(first);
  });

  it('uses the configured DISPOSITIONS, validated like the server’s', async () => {
    const out = capture();
    expect(await seedMonthTool(['--days', '2', '--calls-per-day', '20', '--end', '2026-11-23'], { ...env, DISPOSITIONS: 'Solved,Referred' }, out)).toBe(0);
    let used: (string | null)[] = [];
    await runWithUsers(env, capture(), async (_users, _config, db) => {
      used = (await db.selectFrom('calls').select('disposition').distinct().execute()).map((r) => r.disposition);
    });
    expect(used.filter((d) => d !== null).sort()).toEqual(['Referred', 'Solved']);
    expect(await seedMonthTool([], { ...env, DISPOSITIONS: ' , ' }, out)).toBe(1);
    expect(out.lines[1]).toMatch(/DISPOSITIONS: must list at least one disposition/);
  });

  it('refuses in production and on bad options', async () => {
    const out = capture();
    expect(await seedMonthTool([], { ...env, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }, out)).toBe(1);
    expect(out.lines[0]).toMatch(/ERROR Refusing .*NODE_ENV=production/);
    expect(await seedMonthTool(['--days', 'many'], env, out)).toBe(1);
    expect(out.lines[1]).toMatch(/--days must be a whole number/);
    expect(await seedMonthTool(['--end', 'someday'], env, out)).toBe(1);
    expect(await seedMonthTool(['--bogus'], env, out)).toBe(1);
    expect(out.lines[3]).toMatch(/Usage: npm run seed:month/);
    expect(await callIds()).toEqual([]);
  });
});
