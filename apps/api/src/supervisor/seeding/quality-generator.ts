import type { Insertable } from 'kysely';
import { QUALITY_WARNING_TEXT, judgeQuality, type CallTimelineEvent, type QualityWarning } from '@switchboard/call-domain';
import type { CallQualityTable } from '../../database/schema';
import type { GeneratedCall } from './month-generator';
import type { SeededRandom } from './random';

/** Share of the talked calls given a quality summary (as if their parties reported samples). */
export const SEED_QUALITY_SHARE = 0.1;
/** Share of those whose samples crossed a warning threshold (poor quality). */
export const SEED_POOR_SHARE = 0.04;

/**
 * `call` with a quality summary drawn from `random` (`call_quality`, as the samples of both
 * parties would have added up, one about every second of talk time) for a
 * {@link SEED_QUALITY_SHARE} of the calls that talked, a {@link SEED_POOR_SHARE} of them poor:
 * some samples lost 4–20 % of the packets (the packet-loss warning, with low MOS or high
 * jitter when the sample's figures cross those too), and the call's timeline has a
 * `quality_warning` entry for each kind, by the caller, when the first such sample came in.
 * The others stayed good. Calls that did not talk are returned as they are.
 */
export function withGeneratedQuality(call: GeneratedCall, random: SeededRandom): GeneratedCall {
  const { connectedAt, talkSeconds } = call.record;
  if (connectedAt === null || talkSeconds === null || !random.chance(SEED_QUALITY_SHARE)) return call;
  const samples = Math.max(1, Math.round(talkSeconds));
  const good = judgeQuality({ rttMs: Math.round(random.between(20, 150)), jitterMs: Math.round(random.between(1, 10)), lossPercent: Math.round(random.between(0, 1) * 10) / 10 });
  const poor = random.chance(SEED_POOR_SHARE);
  const worst = poor ? judgeQuality({ rttMs: Math.round(random.between(80, 300)), jitterMs: Math.round(random.between(5, 45)), lossPercent: Math.round(random.between(4, 20) * 10) / 10 }) : good;
  const warned = poor ? random.int(1, Math.min(samples, 20)) : 0;
  const count = (warning: QualityWarning) => (worst.warnings.includes(warning) ? warned : 0);
  const firstWarnedAt = new Date(Date.parse(connectedAt) + Math.floor(random.between(0, talkSeconds * 1000))).toISOString();
  const quality: Insertable<CallQualityTable> = {
    call_id: call.record.id,
    samples,
    mos_min: worst.mos,
    mos_sum: Math.round((good.mos * (samples - warned) + worst.mos * warned) * 100) / 100,
    loss_max: Math.max(good.lossPercent, worst.lossPercent),
    rtt_max: Math.max(good.rttMs ?? 0, worst.rttMs ?? 0),
    jitter_max: Math.max(good.jitterMs, worst.jitterMs),
    warning_samples: warned,
    high_rtt_samples: count('high-rtt'),
    high_jitter_samples: count('high-jitter'),
    high_loss_samples: count('high-packet-loss'),
    low_mos_samples: count('low-mos'),
    latest_at: call.record.endedAt ?? connectedAt,
    latest_sample: JSON.stringify(worst),
  };
  if (!poor) return { ...call, quality };
  const caller = { actorId: call.record.callerId, actorName: call.record.callerName };
  const warnings: CallTimelineEvent[] = worst.warnings.map((w) => ({ at: firstWarnedAt, type: 'quality_warning', ...caller, detail: QUALITY_WARNING_TEXT[w] }));
  // In time order (a stable sort: the generated entries keep theirs).
  const timeline = [...call.timeline, ...warnings].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { ...call, timeline, quality };
}
