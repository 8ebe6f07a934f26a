import { SeededRandom } from './random';

describe('SeededRandom', () => {
  it('weightedPicker draws the same indexes as weighted for the same seed, never a zero weight', () => {
    const weights = Array.from({ length: 500 }, (_, i) => (i % 7 === 3 ? 0 : 1 / (i + 1) ** 0.7));
    const plain = new SeededRandom(9);
    const pick = new SeededRandom(9).weightedPicker(weights);
    const drawn = Array.from({ length: 20_000 }, () => pick());
    expect(drawn).toEqual(Array.from({ length: 20_000 }, () => plain.weighted(weights)));
    expect(drawn.some((i) => weights[i] === 0)).toBeFalse();
    expect(new Set(drawn).size).toBeGreaterThan(300);
  });
});
