import { readQuality } from './quality-meter';

/** A stats report as `getStats()` gives it (a maplike of stats by id). */
function report(...stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s) => [s['id'] as string, s])) as unknown as RTCStatsReport;
}
const inbound = (packetsReceived: number, packetsLost: number, jitter = 0.004) => ({ id: 'in', type: 'inbound-rtp', kind: 'audio', packetsReceived, packetsLost, jitter });
const remoteInbound = (roundTripTime: number, fractionLost = 0) => ({ id: 'rin', type: 'remote-inbound-rtp', kind: 'audio', roundTripTime, fractionLost });

describe('readQuality', () => {
  it('reads RTT from RTCP, jitter in ms, and the share of packets lost since the previous reading', () => {
    const first = readQuality(report(inbound(100, 0), remoteInbound(0.042)), null);
    expect(first.figures).toEqual({ rttMs: 42, jitterMs: 4, lossPercent: 0 });
    // 80 more received, 20 more lost: 20 % of this interval (not of the whole call).
    const second = readQuality(report(inbound(180, 20, 0.012), remoteInbound(0.05)), first.counters);
    expect(second.figures).toEqual({ rttMs: 50, jitterMs: 12, lossPercent: 20 });
    expect(second.counters).toEqual({ packetsReceived: 180, packetsLost: 20 });
  });

  it('takes the worse direction: the far end\'s loss on what this side sends', () => {
    const reading = readQuality(report(inbound(100, 0), remoteInbound(0.02, 0.25)), { packetsReceived: 50, packetsLost: 0 });
    expect(reading.figures.lossPercent).toBe(25);
  });

  it('falls back to the selected candidate pair\'s RTT before any RTCP report, and to null without one', () => {
    const pair = { id: 'pair', type: 'candidate-pair', currentRoundTripTime: 0.0031 };
    const transport = { id: 't', type: 'transport', selectedCandidatePairId: 'pair' };
    expect(readQuality(report(inbound(10, 0), pair, transport), null).figures.rttMs).toBe(3.1);
    expect(readQuality(report(inbound(10, 0)), null).figures.rttMs).toBeNull();
  });

  it('never reports negative loss when duplicates make packetsLost go down', () => {
    const reading = readQuality(report(inbound(200, 3)), { packetsReceived: 100, packetsLost: 5 });
    expect(reading.figures.lossPercent).toBe(0);
  });
});
