import type { ChaosReport } from './chaos-run';

/** The summary of one run, as printed. */
export function formatReport(report: ChaosReport): string {
  const lines = [
    `chaos [${report.dialect}] seed ${report.seed}: ${report.kills} kills, ${report.calls} calls in ${report.seconds} s`,
    `  outcomes: ${Object.entries(report.outcomes).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `  calls interrupted by the kills, by stage: ${Object.entries(report.stagesAtKill).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `  kills after which the node did not settle within the bounded wait: ${report.unsettledKills}`,
    `  violations: ${report.violations.length}`,
  ];
  const byKind = new Map<string, ChaosReport['violations']>();
  for (const v of report.violations) byKind.set(v.kind, [...(byKind.get(v.kind) ?? []), v]);
  for (const [kind, list] of byKind) {
    lines.push(`    ${kind}: ${list.length}`);
    for (const v of list.slice(0, 10)) lines.push(`      after kill ${v.kill}: ${v.detail}`);
  }
  if (report.violations.length > 0) lines.push(`  replay: npm run chaos -- --db ${report.dialect} --kills ${report.kills} --seed ${report.seed}`);
  return lines.join('\n');
}
