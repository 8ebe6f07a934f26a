import { formatDuration } from './format-duration';

describe('formatDuration', () => {
  it('shows minutes and seconds, padded', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(5_999)).toBe('00:05');
    expect(formatDuration(61_000)).toBe('01:01');
  });

  it('keeps counting minutes past an hour and never goes below zero', () => {
    expect(formatDuration(75 * 60_000 + 3_000)).toBe('75:03');
    expect(formatDuration(-4_000)).toBe('00:00');
  });
});
