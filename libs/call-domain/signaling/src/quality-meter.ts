import type { QualityFigures } from '@switchboard/call-domain';

/** The cumulative audio counters a sample is measured against (the previous sample's). */
export interface AudioCounters {
  packetsReceived: number;
  packetsLost: number;
}

/** One reading of a peer connection's statistics: the figures and the counters to compare the next one with. */
export interface QualityReading {
  figures: QualityFigures;
  counters: AudioCounters;
}

type Stat = Record<string, unknown> & { type?: string; kind?: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Reads a call's quality figures from its peer connection's `getStats()` report:
 * - round-trip time: `remote-inbound-rtp.roundTripTime` (RTCP receiver reports on the audio
 *   this side sends), else the selected candidate pair's `currentRoundTripTime` (STUN);
 * - jitter: `inbound-rtp.jitter` of the audio received;
 * - packet loss, the worse direction: the share of packets lost in the audio received since
 *   `previous` (`inbound-rtp.packetsLost` / `packetsReceived`), or the far end's latest
 *   `remote-inbound-rtp.fractionLost` on the audio this side sends — so both parties see a
 *   lossy path, whichever way it loses.
 */
export function readQuality(report: RTCStatsReport, previous: AudioCounters | null): QualityReading {
  const stats: Stat[] = [];
  report.forEach((s: Stat) => stats.push(s));
  const audio = (type: string) => stats.filter((s) => s.type === type && (s.kind ?? 'audio') === 'audio');
  const counters: AudioCounters = { packetsReceived: 0, packetsLost: 0 };
  let jitterS = 0;
  for (const s of audio('inbound-rtp')) {
    counters.packetsReceived += num(s['packetsReceived']) ?? 0;
    counters.packetsLost += num(s['packetsLost']) ?? 0;
    jitterS = Math.max(jitterS, num(s['jitter']) ?? 0);
  }
  let rttS: number | null = null;
  let remoteLoss = 0;
  for (const s of audio('remote-inbound-rtp')) {
    const rtt = num(s['roundTripTime']);
    if (rtt !== null) rttS = Math.max(rttS ?? 0, rtt);
    remoteLoss = Math.max(remoteLoss, (num(s['fractionLost']) ?? 0) * 100);
  }
  if (rttS === null) {
    const transport = stats.find((s) => s.type === 'transport' && typeof s['selectedCandidatePairId'] === 'string');
    const pair = stats.find((s) => s['id'] === transport?.['selectedCandidatePairId']);
    rttS = num(pair?.['currentRoundTripTime']);
  }
  const received = previous ? Math.max(0, counters.packetsReceived - previous.packetsReceived) : counters.packetsReceived;
  const lost = previous ? Math.max(0, counters.packetsLost - previous.packetsLost) : Math.max(0, counters.packetsLost);
  const localLoss = received + lost > 0 ? (lost / (received + lost)) * 100 : 0;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    figures: { rttMs: rttS === null ? null : round(rttS * 1000), jitterMs: round(jitterS * 1000), lossPercent: round(Math.min(100, Math.max(localLoss, remoteLoss))) },
    counters,
  };
}
