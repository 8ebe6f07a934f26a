import { DEMO_PASSWORD, DEMO_USERS, ToolError, consoleOutput, createAccount, runWithUsers, type ToolOutput } from './tool-context';

export { DEMO_PASSWORD, DEMO_USERS };

/**
 * `npm run seed:demo`: creates the demo accounts that do not exist yet (existing ones are
 * left as they are, so running it twice is harmless). Refuses in production, where
 * well-known passwords must never exist.
 *
 * @returns the exit status.
 */
export async function seedDemo(env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  if (env['NODE_ENV'] === 'production') {
    out.error('Refusing to create demo accounts with NODE_ENV=production: their password is public. Use `npm run user:create` instead.');
    return 1;
  }
  return runWithUsers(env, out, async (users) => {
    const created: string[] = [];
    for (const demo of DEMO_USERS) {
      const existing = await users.findByUsername(demo.username);
      if (existing && existing.role !== demo.role) {
        throw new ToolError(`Cannot seed: "${demo.username}" exists with role ${existing.role}, not ${demo.role}`);
      }
      if (!existing) created.push((await createAccount(users, demo)).username);
    }
    out.info(
      created.length
        ? `Demo accounts created: ${created.join(', ')} (password "${DEMO_PASSWORD}")`
        : 'Demo accounts already exist; nothing to do',
    );
  });
}

if (require.main === module) {
  seedDemo(process.env).then((code) => process.exit(code));
}
