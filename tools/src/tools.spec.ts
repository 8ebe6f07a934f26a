import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from './create-user';
import { DEMO_USERS, seedDemo } from './seed-demo';
import { runWithUsers, type ToolOutput, type UsersRepository } from './tool-context';

function capture(): ToolOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), error: (m) => lines.push(`ERROR ${m}`) };
}

describe('CLI tools', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchboard-tools-'));
    env = { DATA_DIR: dataDir };
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function usernames(): Promise<string[]> {
    let names: string[] = [];
    await runWithUsers(env, capture(), async (users: UsersRepository) => {
      names = (await users.list()).map((u) => u.username);
    });
    return names;
  }

  it('seed:demo creates the demo accounts once', async () => {
    const out = capture();
    expect(await seedDemo(env, out)).toBe(0);
    expect(await seedDemo(env, out)).toBe(0);
    expect(out.lines[1]).toMatch(/already exist/);
    expect(await usernames()).toEqual(DEMO_USERS.map((u) => u.username).sort());
  });

  it('seed:demo refuses in production', async () => {
    const out = capture();
    expect(await seedDemo({ ...env, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }, out)).toBe(1);
    expect(out.lines[0]).toMatch(/ERROR Refusing .*NODE_ENV=production/);
    expect(await usernames()).toEqual([]);
  });

  it('user:create adds an account', async () => {
    const out = capture();
    const code = await createUser(['--username', 'Casey', '--role', 'agent', '--password', 'longenough', '--display-name', 'Casey Agent'], env, out);
    expect(code).toBe(0);
    expect(out.lines[0]).toMatch(/Created agent "casey" \(Casey Agent\)/);
    expect(await usernames()).toEqual(['casey']);
  });

  it('user:create refuses a weak password, an unknown role and a taken username, saying why', async () => {
    const out = capture();
    expect(await createUser(['--username', 'casey', '--role', 'boss', '--password', 'short', '--display-name', 'C'], env, out)).toBe(1);
    expect(out.lines[0]).toContain('--role: Invalid option');
    expect(out.lines[0]).toContain('--password: Password must be at least 8 characters');
    const args = ['--username', 'casey', '--role', 'agent', '--password', 'longenough', '--display-name', 'C'];
    expect(await createUser(args, env, out)).toBe(0);
    expect(await createUser(args, env, out)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/already taken/);
    expect(await createUser(['--nope'], env, out)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/Usage: npm run user:create/);
    expect(await usernames()).toEqual(['casey']);
  });
});
