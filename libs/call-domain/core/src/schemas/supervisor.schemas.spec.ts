import { callExportQuerySchema, callListQuerySchema, metricsQuerySchema } from './supervisor.schemas';

describe('supervisor query schemas', () => {
  it('fills the list defaults', () => {
    expect(callListQuerySchema.parse({})).toEqual({ sort: 'queuedAt', dir: 'desc', page: 1, pageSize: 50 });
  });

  it('normalises instants to the stored UTC form and accepts bare dates', () => {
    const q = callListQuerySchema.parse({ from: '2026-11-01', to: '2026-11-02T10:00:00+01:00' });
    expect([q.from, q.to]).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-02T09:00:00.000Z']);
  });

  it('splits a comma-separated outcome list', () => {
    expect(callListQuerySchema.parse({ outcome: 'abandoned,short_abandon' }).outcome).toEqual(['abandoned', 'short_abandon']);
  });

  it('refuses bad values, unknown keys, and a period that ends before it starts', () => {
    for (const bad of [
      { sort: 'password' },
      { page: '0' },
      { pageSize: '201' },
      { outcome: 'answered,lost' },
      { from: 'yesterday' },
      { from: '2026-11-02', to: '2026-11-01' },
      { limit: '10' },
      { page: ['1', '2'] },
    ]) {
      expect(callListQuerySchema.safeParse(bad).success).withContext(JSON.stringify(bad)).toBeFalse();
    }
    expect(callExportQuerySchema.safeParse({ page: '2' }).success).toBeFalse();
  });

  it('fills the metrics defaults and checks the time zone', () => {
    expect(metricsQuerySchema.parse({})).toEqual({ serviceLevelSeconds: 20, timeZone: 'UTC' });
    expect(metricsQuerySchema.parse({ serviceLevelSeconds: '30', timeZone: 'Europe/Berlin' })).toEqual(
      jasmine.objectContaining({ serviceLevelSeconds: 30, timeZone: 'Europe/Berlin' }),
    );
    expect(metricsQuerySchema.safeParse({ timeZone: 'Mars/Base' }).success).toBeFalse();
    expect(metricsQuerySchema.safeParse({ serviceLevelSeconds: '2.5' }).success).toBeFalse();
  });
});
