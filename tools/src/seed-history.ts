import { parseArgs } from 'node:util';
import { SeedConflictError, ToolError, consoleOutput, dayOption, wholeNumberOption, refusesDemoSeeding, runWithUsers, seedHistory, type ToolOutput } from './tool-context';

const USAGE = 'Usage: npm run seed:history -- --calls 1000000 [--seed 1] [--calls-per-day 240] [--students 5000] [--end 2026-11-23]';


/**
 * `npm run seed:history -- --calls N`: fills an empty database with N calls generated like
 * `seed:month` (queue simulation, timelines) over as many days as they take, for the demo
 * cast and a university of students: the history the benchmarks read. Refuses in production.
 *
 * @returns the exit status.
 */
export async function seedHistoryTool(argv: string[], env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  if (refusesDemoSeeding(env, out)) return 1;
  let options;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { calls: { type: 'string' }, seed: { type: 'string' }, 'calls-per-day': { type: 'string' }, students: { type: 'string' }, end: { type: 'string' } },
      strict: true,
    });
    if (values.calls === undefined) throw new ToolError(`--calls is required\n${USAGE}`);
    const end = dayOption('end', values.end, USAGE);
    options = {
      calls: wholeNumberOption('calls', values.calls, 0, 1, 10_000_000, USAGE),
      seed: wholeNumberOption('seed', values.seed, 1, 0, 2 ** 32 - 1, USAGE),
      callsPerDay: wholeNumberOption('calls-per-day', values['calls-per-day'], 240, 1, 100_000, USAGE),
      students: wholeNumberOption('students', values.students, 5000, 0, 100_000, USAGE),
      end,
    };
  } catch (err) {
    out.error(err instanceof ToolError ? err.message : `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 1;
  }
  const seeding = options;
  return runWithUsers(env, out, async (_users, config, db) => {
    const started = Date.now();
    try {
      const s = await seedHistory(db, { ...seeding, dispositions: config.calls.dispositions });
      out.info(`Seeded ${s.calls} calls (${s.events} timeline events) from ${s.from} to ${s.to} for ${s.students} students in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      if (err instanceof SeedConflictError) throw new ToolError(`Cannot seed: ${err.message}`);
      throw err;
    }
  });
}

if (require.main === module) {
  seedHistoryTool(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
