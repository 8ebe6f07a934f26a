import { parseArgs } from 'node:util';
import { formatReport } from './chaos-report';
import { randomSeed, runChaos } from './chaos-run';

const USAGE = 'Usage: npm run chaos -- [--kills 50] [--db sqlite|postgres|both] [--seed N]';

async function main(): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ options: { kills: { type: 'string' }, db: { type: 'string' }, seed: { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const kills = Number(values['kills'] ?? 50);
  const seed = values['seed'] === undefined ? randomSeed() : Number(values['seed']);
  const db = values['db'] ?? 'sqlite';
  if (!Number.isInteger(kills) || kills < 1 || kills > 10_000 || !Number.isInteger(seed) || !['sqlite', 'postgres', 'both'].includes(db)) {
    console.error(USAGE);
    return 2;
  }
  let violations = 0;
  for (const dialect of db === 'both' ? (['sqlite', 'postgres'] as const) : [db as 'sqlite' | 'postgres']) {
    console.log(`chaos [${dialect}] seed ${seed}, ${kills} kills`);
    const report = await runChaos({ dialect, kills, seed, log: (line) => console.log(`  ${line}`) });
    console.log(formatReport(report));
    violations += report.violations.length;
  }
  return violations === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  },
);
