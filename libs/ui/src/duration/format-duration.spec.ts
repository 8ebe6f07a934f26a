import { formatDuration } from './format-duration';

describe('formatDuration', () => {
  it('shows a clock as minutes and seconds, padded', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(5_999)).toBe('00:05');
    expect(formatDuration(61_000)).toBe('01:01');
  });

  it('keeps a clock counting minutes past an hour and never below zero', () => {
    expect(formatDuration(75 * 60_000 + 3_000)).toBe('75:03');
    expect(formatDuration(-4_000)).toBe('00:00');
  });

  it('shows a figure as m:ss, and h:mm:ss from an hour on', () => {
    expect(formatDuration(5_000, 'figure')).toBe('0:05');
    expect(formatDuration(330_000, 'figure')).toBe('5:30');
    expect(formatDuration(75 * 60_000 + 3_000, 'figure')).toBe('1:15:03');
    expect(formatDuration(-1, 'figure')).toBe('0:00');
  });

  it('shows an em dash for a duration that does not exist', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined, 'figure')).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});
