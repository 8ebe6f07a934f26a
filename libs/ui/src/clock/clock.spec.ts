import { elapsedSince } from './clock';

describe('elapsedSince', () => {
  it('counts whole seconds, rounded, so a read just after a tick is not a second short', () => {
    expect(elapsedSince(10_000, 74_998)).toBe(65_000);
    expect(elapsedSince(10_000, 75_004)).toBe(65_000);
    expect(elapsedSince(10_000, 10_400)).toBe(0);
  });

  it('never goes below zero (a start the browser sees in the future)', () => {
    expect(elapsedSince(10_000, 8_000)).toBe(0);
  });
});
