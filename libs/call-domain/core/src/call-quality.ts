import type { CallId } from './call';

/**
 * Call quality: what each party's browser measures every {@link QUALITY_SAMPLE_MS} on its
 * peer connection (`getStats()`), the MOS estimated from it, and the warnings.
 *
 * The MOS is **Twilio's simplified E-model** (the one twilio-voice.js and twilio-video.js
 * compute for their call-quality warnings and preflight test; Jitsi uses a similar R-factor
 * shortcut): an effective latency from the round-trip time and jitter lowers the R-factor
 * from 94.768, each percent of lost packets lowers it by 2.5, and R maps to MOS with ITU-T
 * G.107's formula. It is an estimate for comparing calls, not a listening test.
 */

/** How often a party samples its connection and reports it, in milliseconds. */
export const QUALITY_SAMPLE_MS = 2000;

/** Twilio's warning thresholds (Voice SDK "call quality warnings"). */
export const QUALITY_THRESHOLDS = {
  /** Round-trip time above this, in milliseconds: `high-rtt`. */
  rttMs: 400,
  /** Jitter above this, in milliseconds: `high-jitter`. */
  jitterMs: 30,
  /** Packets lost above this share, in percent: `high-packet-loss`. */
  lossPercent: 3,
  /** MOS below this: `low-mos`. */
  mos: 3.5,
} as const;

/** MOS at or above this (and no warning) is "good"; between this and the warning threshold, "fair". */
export const GOOD_MOS = 4;

/** A threshold crossed in one sample (Twilio's names). */
export const QUALITY_WARNINGS = ['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos'] as const;
/** See {@link QUALITY_WARNINGS}. */
export type QualityWarning = (typeof QUALITY_WARNINGS)[number];

/** How a sample reads to people: `poor` below the MOS threshold, `fair` with any other warning or a middling MOS. */
export type QualityLevel = 'good' | 'fair' | 'poor';

/** What one sample measured. */
export interface QualityFigures {
  /** Round-trip time in milliseconds (RTCP, `remote-inbound-rtp`); null before the first report. */
  rttMs: number | null;
  /** Jitter of the audio received, in milliseconds (`inbound-rtp`). */
  jitterMs: number;
  /** Share of audio packets lost since the previous sample, in percent (the worse direction). */
  lossPercent: number;
}

/** One sample as the portal reports it (`reportQuality`) and shows it. */
export interface QualitySample extends QualityFigures {
  /** Estimated MOS, 1 … 4.5 ({@link estimateMos}). */
  mos: number;
  level: QualityLevel;
  /** The thresholds this sample crossed, in {@link QUALITY_WARNINGS} order. */
  warnings: QualityWarning[];
}

/** `reportQuality`: one party's latest sample of a call in progress. */
export interface QualityReport extends QualityFigures {
  callId: CallId;
  /** The MOS the browser estimated (the server recomputes it from the figures). */
  mos?: number;
}

/** What a call's samples add up to (`CallDetail.quality`, the live board). */
export interface CallQualitySummary {
  /** Samples received from both parties together. */
  samples: number;
  minMos: number;
  avgMos: number;
  /** Worst packet loss of a sample, percent. */
  maxLossPercent: number;
  /** Highest round-trip time, ms; null when none was measured. */
  maxRttMs: number | null;
  maxJitterMs: number;
  /** Samples that crossed at least one threshold. */
  warningSamples: number;
  /** How many samples crossed each threshold (only those crossed at least once). */
  warnings: Partial<Record<QualityWarning, number>>;
  /** Whether the call counts as poor quality (the history's `quality=poor`): any warning at all. */
  poor: boolean;
  /** The latest sample, from either party. */
  latest: QualitySample & { at: string };
}

/** `callQualityChanged`: to supervisors, a call in progress has a new quality sample. */
export interface CallQualityChange {
  callId: CallId;
  quality: QualitySample & { at: string };
}

const R0 = 94.768;

/**
 * Estimated MOS (1 … about 4.4) from the round-trip time and jitter in milliseconds and the
 * packet loss in percent — Twilio's simplified E-model (see the module comment). An unknown
 * round-trip time counts as 0.
 */
export function estimateMos(rttMs: number | null, jitterMs: number, lossPercent: number): number {
  const effectiveLatency = (rttMs ?? 0) + jitterMs * 2 + 10;
  let r = 0;
  if (effectiveLatency < 160) r = R0 - effectiveLatency / 40;
  else if (effectiveLatency < 1000) r = R0 - (effectiveLatency - 120) / 10;
  r = lossPercent <= r / 2.5 ? Math.max(r - lossPercent * 2.5, 6.52) : 0;
  return 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
}

/** The thresholds `figures` and `mos` cross ({@link QUALITY_THRESHOLDS}). */
export function qualityWarnings(figures: QualityFigures, mos: number): QualityWarning[] {
  const warnings: QualityWarning[] = [];
  if (figures.rttMs !== null && figures.rttMs > QUALITY_THRESHOLDS.rttMs) warnings.push('high-rtt');
  if (figures.jitterMs > QUALITY_THRESHOLDS.jitterMs) warnings.push('high-jitter');
  if (figures.lossPercent > QUALITY_THRESHOLDS.lossPercent) warnings.push('high-packet-loss');
  if (mos < QUALITY_THRESHOLDS.mos) warnings.push('low-mos');
  return warnings;
}

/** A full sample from measured figures: MOS (rounded to 2 decimals), level and warnings. */
export function judgeQuality(figures: QualityFigures): QualitySample {
  const mos = Math.round(estimateMos(figures.rttMs, figures.jitterMs, figures.lossPercent) * 100) / 100;
  const warnings = qualityWarnings(figures, mos);
  const level: QualityLevel = warnings.includes('low-mos') ? 'poor' : warnings.length > 0 || mos < GOOD_MOS ? 'fair' : 'good';
  return { ...figures, mos, level, warnings };
}

/** What a warning means, in words (the call panel, call detail). */
export const QUALITY_WARNING_TEXT: Readonly<Record<QualityWarning, string>> = {
  'high-rtt': 'high delay',
  'high-jitter': 'high jitter',
  'high-packet-loss': 'packet loss',
  'low-mos': 'low MOS',
};
