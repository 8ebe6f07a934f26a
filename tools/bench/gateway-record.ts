// What the gateway benchmark records: each call's progress as both of its parties see it
// (`CallRun`), and per phase the hop latencies, completions, error acks and timeouts.
import { performance } from 'node:perf_hooks';

/** The latencies measured, each from the sender's emit (or the request) to the other side. */
export const HOPS = ['offer', 'callerCandidate', 'answer', 'agentCandidate', 'acceptAck', 'setup'] as const;
/** One of {@link HOPS}. */
export type Hop = (typeof HOPS)[number];

/** What a call's two parties have seen so far, and waiting for more. */
export class CallRun {
  /** The negotiation of the offer the agent received (the answer and candidates carry it). */
  negotiationId: string | undefined;
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly timeoutMs: number) {}

  /** How many times `what` happened. */
  count(what: string): number {
    return this.counts.get(what) ?? 0;
  }

  /** `what` happened once more. */
  note(what: string): void {
    this.counts.set(what, this.count(what) + 1);
    for (const check of [...this.waiters]) check();
  }

  /** Resolves once `test` holds (checked after every {@link note}); rejects after the timeout. */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error('step timed out'));
      }, this.timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** One phase's figures. */
export interface PhaseResult {
  /** Calls completed (set up, hung up, wrapped up). */
  setups: number;
  /** Completed calls per second in the steady part of the phase. */
  rate: number;
  seconds: number;
  hops: Map<Hop, number[]>;
  /** Error acks by `event:code`. */
  errors: Map<string, number>;
  timeouts: number;
  /** Fixed-rate starts skipped for want of a free student. */
  skipped: number;
  /** Call sockets the phase lost, by disconnect reason (e.g. `ping timeout`). */
  lostSockets: Map<string, number>;
}

/** Collects one phase. */
export class PhaseRecord {
  readonly startedAt = performance.now();
  lastStartAt = this.startedAt;
  readonly completions: number[] = [];
  timeouts = 0;
  skipped = 0;
  private readonly hops = new Map<Hop, number[]>(HOPS.map((h) => [h, []]));
  private readonly errors = new Map<string, number>();
  private readonly lostSockets = new Map<string, number>();

  /** A call socket disconnected during the phase. */
  socketLost(reason: string): void {
    this.lostSockets.set(reason, (this.lostSockets.get(reason) ?? 0) + 1);
  }

  /** One latency sample (ms). */
  add(hop: Hop, ms: number): void {
    this.hops.get(hop)?.push(ms);
  }

  /** An error ack (or none) to `event`. */
  ackError(event: string, code: string): void {
    const key = `${event}:${code}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /**
   * The phase's figures. With `pairs` calls in flight the rate leaves out the ramp-up (until
   * `pairs` calls have completed) and the drain (after the last call started).
   */
  result(pairs: number): PhaseResult {
    const done = [...this.completions].sort((a, b) => a - b);
    const end = performance.now();
    let rate = done.length / ((end - this.startedAt) / 1000);
    if (pairs > 0 && done.length > 2 * pairs) {
      const from = done[pairs - 1];
      const inWindow = done.filter((t) => t > from && t <= this.lastStartAt).length;
      if (inWindow >= pairs) rate = inWindow / ((this.lastStartAt - from) / 1000);
    }
    return { setups: done.length, rate, seconds: (end - this.startedAt) / 1000, hops: this.hops, errors: this.errors, timeouts: this.timeouts, skipped: this.skipped, lostSockets: this.lostSockets };
  }
}

/** The `p`th percentile (nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The median of `values`; NaN when there are none. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
