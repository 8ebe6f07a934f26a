import { parseArgs } from 'node:util';
import { ROLES } from '@switchboard/call-domain';
import { createUserRequestSchema } from '@switchboard/call-domain/schemas';
import { ToolError, UsernameTakenError, consoleOutput, createAccount, runWithUsers, type ToolOutput } from './tool-context';

const USAGE = `Usage: npm run user:create -- --username <name> --role <${ROLES.join('|')}> --password <password> --display-name "<name>"`;

/**
 * `npm run user:create`: adds one account to the configured database. Checks the same rules
 * as `POST /api/users` (role, username shape, password of at least 8 characters).
 *
 * @returns the exit status.
 */
export async function createUser(argv: string[], env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        username: { type: 'string' },
        role: { type: 'string' },
        password: { type: 'string' },
        'display-name': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    out.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 1;
  }
  const parsed = createUserRequestSchema.safeParse({
    username: values['username'],
    role: values['role'],
    password: values['password'],
    displayName: values['display-name'],
  });
  if (!parsed.success) {
    const flag = (path: string) => (path === 'displayName' ? '--display-name' : `--${path}`);
    const lines = parsed.error.issues.map((i) => `  ${flag(i.path.map(String).join('.'))}: ${i.message}`);
    out.error(`Cannot create the user:\n${lines.join('\n')}\n${USAGE}`);
    return 1;
  }
  return runWithUsers(env, out, async (users) => {
    try {
      const user = await createAccount(users, parsed.data);
      out.info(`Created ${user.role} "${user.username}" (${user.displayName}), id ${user.id}`);
    } catch (err) {
      if (err instanceof UsernameTakenError) throw new ToolError(`Cannot create the user: ${err.message}`);
      throw err;
    }
  });
}

if (require.main === module) {
  createUser(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
