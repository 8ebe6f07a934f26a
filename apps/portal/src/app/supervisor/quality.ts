import { QUALITY_WARNINGS, QUALITY_WARNING_TEXT, type CallQualitySummary, type QualitySample } from '@switchboard/call-domain';

/** A call's quality summary in words (call detail): "Poor — MOS min 2.3, average 3.8; …". */
export function describeQualitySummary(q: CallQualitySummary | null): string {
  if (!q) return 'Not measured';
  const warned = QUALITY_WARNINGS.filter((w) => q.warnings[w]).map((w) => `${QUALITY_WARNING_TEXT[w]} ×${q.warnings[w]}`);
  const rtt = q.maxRttMs === null ? '' : `, max RTT ${Math.round(q.maxRttMs)} ms`;
  return (
    `${q.poor ? 'Poor' : 'No warnings'} — MOS min ${q.minMos.toFixed(1)}, average ${q.avgMos.toFixed(1)}; ` +
    `worst packet loss ${q.maxLossPercent} %${rtt}, max jitter ${Math.round(q.maxJitterMs)} ms; ` +
    `${warned.length ? `warnings: ${warned.join(', ')}` : 'no warnings'} (${q.samples} samples)`
  );
}

/** The latest sample of a call in progress in words (live board): "Poor (MOS 2.3): packet loss, low MOS". */
export function describeLatestQuality(q: QualitySample | null | undefined): string {
  if (!q) return '—';
  const level = q.level[0].toUpperCase() + q.level.slice(1);
  const warnings = q.warnings.map((w) => QUALITY_WARNING_TEXT[w]).join(', ');
  return `${level} (MOS ${q.mos.toFixed(1)})${warnings ? `: ${warnings}` : ''}`;
}
