import { parseArgs } from 'node:util';
import { SeedConflictError, ToolError, consoleOutput, dayOption, wholeNumberOption, refusesDemoSeeding, runWithUsers, seedMonth, type ToolOutput } from './tool-context';

const USAGE = 'Usage: npm run seed:month -- [--seed 1] [--days 30] [--calls-per-day 240] [--end 2026-11-23] [--replace]';


/**
 * `npm run seed:month`: stores a realistic, deterministic month of calls (timelines and
 * callback requests included) ending at today's UTC midnight, creating the demo accounts,
 * four more agents and 39 more students if missing; wrap-ups use the configured
 * DISPOSITIONS. Refuses in production, where the accounts' public password must never exist,
 * and refuses to mix with calls already stored in the period unless `--replace`.
 *
 * @returns the exit status.
 */
export async function seedMonthTool(argv: string[], env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  if (refusesDemoSeeding(env, out)) return 1;
  let options;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { seed: { type: 'string' }, days: { type: 'string' }, 'calls-per-day': { type: 'string' }, end: { type: 'string' }, replace: { type: 'boolean' } },
      strict: true,
    });
    const end = dayOption('end', values.end, USAGE);
    options = {
      seed: wholeNumberOption('seed', values.seed, 1, 0, 2 ** 32 - 1, USAGE),
      days: wholeNumberOption('days', values.days, 30, 0, 366, USAGE),
      callsPerDay: wholeNumberOption('calls-per-day', values['calls-per-day'], 240, 0, 100_000, USAGE),
      end,
      replace: values.replace ?? false,
    };
  } catch (err) {
    out.error(err instanceof ToolError ? err.message : `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 1;
  }
  const seeding = options;
  return runWithUsers(env, out, async (_users, config, db) => {
    const started = Date.now();
    try {
      const s = await seedMonth(db, { ...seeding, dispositions: config.calls.dispositions });
      out.info(
        `Seeded ${s.calls} calls (${s.events} timeline events, ${s.callbacks} callback requests) from ${s.from} to ${s.to} ` +
          `for ${s.agents} agents and ${s.students} students in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } catch (err) {
      if (err instanceof SeedConflictError) throw new ToolError(`Cannot seed: ${err.message}`);
      throw err;
    }
  });
}

if (require.main === module) {
  seedMonthTool(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
