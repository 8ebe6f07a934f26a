import type { LabelValues, Metric, Registry } from 'prom-client';

/** A sample as prom-client's metrics give theirs to its registry (its typings leave `exemplar` out). */
export interface HistogramSample {
  value: number;
  metricName: string;
  exemplar: null | undefined;
  labels: Record<string, string | number>;
}

/** One label set's counts: per bucket (not cumulative), the sum and the count of what it observed. */
export class LatencySeries {
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  /** Counts `seconds` in the first bucket whose upper bound holds it (past the last: only in `+Inf`). */
  observe(seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        this.counts[i]++;
        break;
      }
    }
    this.sum += seconds;
    this.count++;
  }

  /** Back to nothing observed. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** Starts timing: the returned function observes the seconds since, and returns them. */
  startTimer(): () => number {
    const started = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }

  /** Whether it has observed anything since it was made or reset (prom-client renders a series from its first observation). */
  get observed(): boolean {
    return this.count > 0;
  }

  /** Its samples as prom-client's histogram gives them: cumulative buckets (`le` first), `+Inf`, sum, count. */
  values(name: string): HistogramSample[] {
    const bucket = `${name}_bucket`;
    let cumulative = 0;
    const values: HistogramSample[] = this.bounds.map((le, i) => ({ value: (cumulative += this.counts[i]), metricName: bucket, exemplar: null, labels: { le, ...this.labels } }));
    values.push(
      { value: this.count, metricName: bucket, exemplar: null, labels: { le: '+Inf', ...this.labels } },
      { value: this.sum, metricName: `${name}_sum`, exemplar: undefined, labels: { ...this.labels } },
      { value: this.count, metricName: `${name}_count`, exemplar: undefined, labels: { ...this.labels } },
    );
    return values;
  }
}

/**
 * A Prometheus histogram of durations whose series are looked up once ({@link labels}) and
 * then observed with a bucket search and two additions. prom-client's `Histogram` validates
 * and hashes the labels and allocates on every observation: ~0.5–0.85 µs against ~15 ns here
 * (a loop of a million observations of one series), and the API observes every statement and
 * every handled socket event, ~95 times per call setup. It renders as prom-client's histogram
 * does (same samples and labels: `latency-histogram.spec.ts` compares the two) through the
 * same registry, which reads a metric's `name`, `help`, `type`, `aggregator`, `get()` and
 * `reset()` only. Not the whole of prom-client's API: one series per label set, labels given
 * in `labelNames` order and all of them, series in the order first labelled (prom-client's:
 * first observed), names not validated, no exemplars, no registry default labels (the app's
 * registry sets none); `getSingleMetric()` returns this object, not a prom-client `Histogram`.
 */
export class LatencyHistogram<T extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, LatencySeries>();

  constructor(
    readonly config: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registers: readonly Registry[] },
  ) {
    this.bounds = [...config.buckets];
    if (config.labelNames.includes('le' as T)) throw new Error('le is a reserved label keyword');
    // Not one of prom-client's classes (its registry's type lists them), but what it reads of one.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric<T>);
  }

  get name(): string {
    return this.config.name;
  }

  get help(): string {
    return this.config.help;
  }

  /** The series of `labels` (every label name given), made on first use: keep it and observe on it. */
  labels(labels: LabelValues<T>): LatencySeries {
    const values = this.config.labelNames.map((label) => {
      const value = labels[label];
      if (value === undefined) throw new Error(`Missing label ${label} for ${this.name}`);
      return String(value);
    });
    if (Object.keys(labels).some((label) => !this.config.labelNames.includes(label as T))) throw new Error(`Unknown label in ${JSON.stringify(labels)} for ${this.name}`);
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      this.series.set(key, (series = new LatencySeries(Object.fromEntries(this.config.labelNames.map((label, i) => [label, values[i]])), this.bounds)));
    }
    return series;
  }

  /** The samples of every series that has observed something, in the order they were labelled (prom-client's: first observed). */
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramSample[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].filter((s) => s.observed).flatMap((s) => s.values(this.name)) });
  }

  /** Zeroes every series (the registry's `resetMetrics()`): none rendered until it observes again, the series handed out still the ones counted. */
  reset(): void {
    for (const series of this.series.values()) series.reset();
  }
}
