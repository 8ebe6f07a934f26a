import { Histogram, Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram';

describe('LatencyHistogram', () => {
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const config = { name: 'x_duration_seconds', help: 'How long x took.', labelNames: ['statement', 'outcome'] as const, buckets };
  // On and between bucket bounds, below the first, past the last, and zero.
  const observations: [string, string, number][] = [
    ['select', 'ok', 0.0005],
    ['select', 'ok', 0.0004],
    ['insert', 'ok', 0.003],
    ['select', 'ok', 7.5],
    ['insert', 'error', 0],
    ['select', 'ok', 0.1],
    ['insert', 'ok', 0.10000001],
    ['update', 'ok', 5],
  ];

  it('renders in /metrics exactly as prom-client’s Histogram given the same observations', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] });
    const fast = new LatencyHistogram({ ...config, registers: [ours] });
    for (const [statement, outcome, seconds] of observations) {
      reference.labels({ statement, outcome }).observe(seconds);
      fast.labels({ statement, outcome }).observe(seconds);
    }
    const text = await ours.metrics();
    expect(text).toEqual(await theirs.metrics());
    expect(text).toContain('x_duration_seconds_bucket{le="0.1",statement="select",outcome="ok"} 3');
    expect(text).toContain('x_duration_seconds_count{statement="select",outcome="ok"} 4');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('hands out one series per label set, whose timer observes the time since it started', async () => {
    const registry = new Registry();
    const fast = new LatencyHistogram({ ...config, registers: [registry] });
    const series = fast.labels({ statement: 'select', outcome: 'ok' });
    expect(fast.labels({ outcome: 'ok', statement: 'select' })).toBe(series);
    const stop = series.startTimer();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const seconds = stop();
    expect(seconds).toBeGreaterThanOrEqual(0.025);
    expect(seconds).toBeLessThan(5);
    const text = await registry.metrics();
    expect(text).toContain('x_duration_seconds_bucket{le="0.025",statement="select",outcome="ok"} 0');
    expect(text).toContain('x_duration_seconds_bucket{le="5",statement="select",outcome="ok"} 1');
    expect(text).toContain(`x_duration_seconds_sum{statement="select",outcome="ok"} ${seconds}`);
  });

  it('refuses an unknown label, an `le` label and a value that is not a number, as prom-client does, and a missing label (prom-client leaves it out)', () => {
    const fast = new LatencyHistogram({ ...config, registers: [] });
    expect(() => fast.labels({ statement: 'select' } as never)).toThrowError(/Missing label outcome/);
    fast.labels({ statement: 'select', outcome: 'ok' });
    expect(() => fast.labels({ statement: 'select', outcome: 'ok', kind: 'x' } as never)).toThrowError(/Unknown label/);
    expect(() => new LatencyHistogram({ ...config, labelNames: ['le'], registers: [] })).toThrowError(/le is a reserved label/);
    expect(() => fast.labels({ statement: 'select', outcome: 'ok' }).observe(Number.NaN)).toThrowError(TypeError);
  });

  it('renders a series from its first observation, and none after the registry’s reset until it observes again, as prom-client', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({ ...config, labelNames: [...config.labelNames], registers: [theirs] }).labels({ statement: 'select', outcome: 'ok' });
    const series = new LatencyHistogram({ ...config, registers: [ours] }).labels({ statement: 'select', outcome: 'ok' });
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('x_duration_seconds_count');
    reference.observe(0.002);
    series.observe(0.002);
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    expect(await ours.metrics()).not.toContain('x_duration_seconds_count');
    reference.observe(0.02);
    series.observe(0.02);
    expect(await ours.metrics()).toEqual(await theirs.metrics());
    expect(await ours.metrics()).toContain('x_duration_seconds_count{statement="select",outcome="ok"} 1');
  });
});
