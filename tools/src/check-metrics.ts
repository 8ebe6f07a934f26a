import { parseArgs } from 'node:util';
import type { CallMetrics, MetricsQuery, MetricsSource } from '@switchboard/call-domain';
import { MetricsService, ReadPool, ToolError, consoleOutput, runWithUsers, type ToolOutput } from './tool-context';

const USAGE = 'Usage: npm run check:metrics -- [--to 2026-11-23] [--rounds 3] [--only <part of a case name>]';
const DAY_MS = 86_400_000;

/** The figures that must agree to the last digit (the averages are sums of floats in another order: to 1e-9). */
function differences(fast: CallMetrics, raw: CallMetrics): string[] {
  const out: string[] = [];
  for (const key of Object.keys(raw) as (keyof CallMetrics)[]) {
    if (key === 'longestCurrentWaitSeconds') continue;
    const [a, b] = [fast[key], raw[key]];
    const close = typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) : JSON.stringify(a) === JSON.stringify(b);
    if (!close) out.push(`${key}: roll-ups ${JSON.stringify(a)} ≠ raw ${JSON.stringify(b)}`);
  }
  return out;
}

/**
 * `npm run check:metrics`: on the configured database (e.g. a million seeded calls), computes
 * the supervisor metrics of several periods and time zones from the roll-ups and from the raw
 * records, interleaved, says whether they agree, and prints each source's time (the raw
 * source is the computation before roll-ups existed). Exit status 1 if any figure differs.
 */
export async function checkMetricsTool(argv: string[], env: Record<string, string | undefined>, out: ToolOutput = consoleOutput): Promise<number> {
  let to: Date;
  let rounds: number;
  let only: string;
  try {
    const { values } = parseArgs({ args: argv, options: { to: { type: 'string' }, rounds: { type: 'string' }, only: { type: 'string' } }, strict: true });
    only = values.only ?? '';
    to = values.to === undefined ? new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS) : new Date(`${values.to}T00:00:00Z`);
    rounds = Number(values.rounds ?? 3);
    if (Number.isNaN(to.getTime()) || !Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new ToolError(USAGE);
  } catch (err) {
    out.error(err instanceof ToolError ? err.message : `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 1;
  }
  const end = to.getTime();
  const cases: { label: string; query: MetricsQuery }[] = [
    { label: 'month (30 days), UTC', query: { from: new Date(end - 30 * DAY_MS).toISOString(), to: to.toISOString(), serviceLevelSeconds: 20, timeZone: 'UTC' } },
    { label: 'month, Europe/Berlin, SL 45 s', query: { from: new Date(end - 30 * DAY_MS).toISOString(), to: to.toISOString(), serviceLevelSeconds: 45, timeZone: 'Europe/Berlin' } },
    { label: '11.4 days, odd edges, Asia/Kathmandu', query: { from: new Date(end - 12 * DAY_MS + 1_234_567).toISOString(), to: new Date(end - 0.7 * DAY_MS).toISOString(), serviceLevelSeconds: 7, shortAbandonSeconds: 0, timeZone: 'Asia/Kathmandu' } },
    { label: 'a week, America/St_Johns', query: { from: new Date(end - 7 * DAY_MS).toISOString(), to: to.toISOString(), serviceLevelSeconds: 20, timeZone: 'America/St_Johns' } },
    { label: 'one day, Asia/Kolkata', query: { from: new Date(end - 3 * DAY_MS).toISOString(), to: new Date(end - 2 * DAY_MS).toISOString(), serviceLevelSeconds: 20, timeZone: 'Asia/Kolkata' } },
  ];
  return runWithUsers(env, out, async (_users, config, db) => {
    // The service's reads go through the pool the API uses (worker threads on SQLite), closed at the end.
    const reads = new ReadPool(db, config.database);
    const metrics = new MetricsService(db, config, reads);
    try {
      const { n } = await db.selectFrom('calls').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      out.info(`${config.database.dialect}: ${Number(n)} calls stored; ${rounds} round(s), interleaved`);
      let failed = 0;
      for (const { label, query } of cases.filter((c) => c.label.includes(only))) {
        const times: Record<MetricsSource, number[]> = { rollups: [], raw: [] };
        let offered = 0;
        for (let round = 0; round < rounds; round++) {
          const results = {} as Record<MetricsSource, CallMetrics>;
          for (const source of ['rollups', 'raw'] as const) {
            const started = performance.now();
            results[source] = (await metrics.report({ ...query, source })).metrics;
            times[source].push(performance.now() - started);
          }
          const diff = differences(results.rollups, results.raw);
          if (diff.length) {
            failed++;
            out.error(`${label}: ${diff.join('; ')}`);
          }
          offered = results.raw.offered;
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        out.info(`${label}: ${offered} calls; roll-ups ${median(times.rollups).toFixed(0)} ms, raw ${median(times.raw).toFixed(0)} ms (medians; first roll-ups run ${times.rollups[0].toFixed(0)} ms)`);
      }
      if (failed) throw new ToolError(`${failed} comparison(s) differ`);
      out.info('Roll-ups and raw records agree on every figure.');
    } finally {
      await reads.close();
    }
  });
}

if (require.main === module) {
  checkMetricsTool(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
