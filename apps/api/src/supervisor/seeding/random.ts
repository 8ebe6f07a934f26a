/**
 * A small seeded pseudo-random generator (mulberry32) and the draws the month seeder needs.
 * Not for secrets: it exists so the same seed always gives the same month.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }

  /** Whether an event of probability `p` happens. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** An index drawn with the given (non-negative) weights. */
  weighted(weights: readonly number[]): number {
    let r = this.next() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /**
   * What {@link weighted} does, for many draws over the same long list: the running totals are
   * summed once and each draw is a binary search (a university's thousands of callers would
   * otherwise cost a pass over every weight per call). Same index as `weighted` for the same
   * draw, bar a tie within rounding of a boundary.
   */
  weightedPicker(weights: readonly number[]): () => number {
    const totals: number[] = [];
    let sum = 0;
    for (const w of weights) totals.push((sum += w));
    return () => {
      const r = this.next() * sum;
      let low = 0;
      let high = totals.length - 1;
      // The first running total above the draw (a zero weight's index is never the answer).
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (r < totals[mid]) high = mid;
        else low = mid + 1;
      }
      return low;
    };
  }

  /** An exponential draw with this mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A log-normal draw with this median and shape, clipped to [min, max]. */
  logNormal(median: number, sigma: number, min: number, max: number): number {
    const normal = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    return Math.min(max, Math.max(min, median * Math.exp(sigma * normal)));
  }

  /** A version-4-shaped UUID made of draws (deterministic, unlike `randomUUID`). */
  uuid(): string {
    return this.uuidShaped('4', this.hexDraws());
  }

  /**
   * A version-7-shaped UUID for something made at `ms` (the time first, then draws), as the API
   * gives calls (`newCallId`): seeded calls lie in their indexes as the calls the API places do.
   * Four draws, as {@link uuid} (the first 12 digits' unused): what a seed generates besides the
   * ids is as before.
   */
  timeOrderedUuid(ms: number): string {
    return this.uuidShaped('7', Math.floor(ms).toString(16).padStart(12, '0') + this.hexDraws().slice(12));
  }

  /** 32 hex digits of draws. */
  private hexDraws(): string {
    return Array.from({ length: 4 }, () => Math.floor(this.next() * 2 ** 32).toString(16).padStart(8, '0')).join('');
  }

  /** `hex` (32 digits) as a UUID of this version, with RFC 9562's variant bits. */
  private uuidShaped(version: string, hex: string): string {
    const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}
