import { formatReport } from './chaos/chaos-report';
import { randomSeed, runChaos } from './chaos/chaos-run';

// CHAOS_SEED replays a failed run's choices (the seed is in the failure message).
const SEED = process.env['CHAOS_SEED'] ? Number(process.env['CHAOS_SEED']) : randomSeed();
const KILLS = 20;
// About 4 s a kill when every restart settles; a kill that leaves something stuck costs the whole bounded wait (25 s).

describe('crash consistency: the built API SIGKILLed at random moments of calls and restarted on the same data', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`[${dialect}] after each of ${KILLS} kills every call has exactly one outcome, no agent is left busy without a live call, no deadline is lost, and every acked wrap-up is stored`, async () => {
      const report = await runChaos({ dialect, kills: KILLS, seed: SEED });
      const summary = formatReport(report);
      expect(report.kills).toBe(KILLS);
      // The run must really have interrupted calls, or it proves nothing.
      expect(Object.values(report.stagesAtKill).reduce((a, b) => a + b, 0)).withContext(summary).toBeGreaterThan(KILLS);
      expect(report.violations).withContext(summary).toEqual([]);
    }, 600_000);
  }
});
