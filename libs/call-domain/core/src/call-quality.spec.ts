import { estimateMos, judgeQuality, qualityWarnings } from './call-quality';

describe('estimateMos (Twilio simplified E-model)', () => {
  // Worked by hand: effective latency 0 + 0 + 10 ms → R = 94.768 − 10/40 = 94.518;
  // MOS = 1 + 0.035·94.518 + 7e-6·94.518·34.518·5.482 = 4.4333.
  it('gives 4.43 for a perfect path (the model\'s ceiling)', () => {
    expect(estimateMos(0, 0, 0)).toBeCloseTo(4.4333, 4);
  });

  it('gives known values for typical paths', () => {
    expect(estimateMos(20, 5, 0)).toBeCloseTo(4.42, 2);
    expect(estimateMos(100, 10, 3)).toBeCloseTo(4.1664, 3);
    // Latency past 160 ms effective uses the steeper slope: 400 + 60 + 10 = 470 → R = 59.77.
    expect(estimateMos(400, 30, 0)).toBeCloseTo(3.088, 3);
  });

  it('drops with packet loss: 2.5 R points per percent', () => {
    expect(estimateMos(20, 5, 10)).toBeCloseTo(3.5387, 3);
    expect(estimateMos(20, 5, 20)).toBeCloseTo(2.2522, 3);
  });

  it('bottoms out at 1 when latency or loss makes speech unusable', () => {
    expect(estimateMos(1000, 0, 0)).toBeCloseTo(1, 3);
    expect(estimateMos(20, 0, 50)).toBe(1);
  });

  it('counts an unknown round-trip time as 0', () => {
    expect(estimateMos(null, 5, 0)).toBe(estimateMos(0, 5, 0));
  });
});

describe('qualityWarnings', () => {
  it('names each Twilio threshold crossed, strictly above (below for MOS)', () => {
    expect(qualityWarnings({ rttMs: 400, jitterMs: 30, lossPercent: 3 }, 3.5)).toEqual([]);
    expect(qualityWarnings({ rttMs: 401, jitterMs: 31, lossPercent: 3.1 }, 3.49)).toEqual(['high-rtt', 'high-jitter', 'high-packet-loss', 'low-mos']);
    expect(qualityWarnings({ rttMs: null, jitterMs: 0, lossPercent: 0 }, 4.4)).toEqual([]);
  });
});

describe('judgeQuality', () => {
  it('is good on a clean path', () => {
    expect(judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 0 })).toEqual({ rttMs: 20, jitterMs: 5, lossPercent: 0, mos: 4.42, level: 'good', warnings: [] });
  });

  it('is fair with a warning but MOS above 3.5 (10 % loss)', () => {
    const sample = judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 10 });
    expect(sample.mos).toBe(3.54);
    expect(sample.level).toBe('fair');
    expect(sample.warnings).toEqual(['high-packet-loss']);
  });

  it('is poor when MOS falls below 3.5 (20 % loss)', () => {
    const sample = judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 20 });
    expect(sample.mos).toBe(2.25);
    expect(sample.level).toBe('poor');
    expect(sample.warnings).toEqual(['high-packet-loss', 'low-mos']);
  });
});
