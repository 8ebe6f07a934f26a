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

  it("timeOrderedUuid gives version-7 ids that sort by the time given, as the API's call ids do", () => {
    const random = new SeededRandom(3);
    const times = [Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 5) + 1, Date.UTC(2026, 5, 1)];
    const ids = times.map((ms) => random.timeOrderedUuid(ms));
    expect([...ids].sort()).toEqual(ids);
    for (const [i, id] of ids.entries()) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(times[i]);
    }
    expect(new SeededRandom(3).timeOrderedUuid(times[0])).withContext('deterministic').toBe(ids[0]);
  });
});
