import type { LogEvent } from 'kysely';
import { RESULT_UNREAD } from '../database/postgres-statements';
import { ServerMetrics } from './server-metrics';

describe('ServerMetrics.logQuery', () => {
  /** The statement histogram's count for `statement` and `outcome`, as /metrics renders it. */
  async function counted(metrics: ServerMetrics, statement: string, outcome = 'ok'): Promise<number> {
    const metric = await metrics.databaseQuerySeconds.get();
    return metric.values.find((v) => v.metricName?.endsWith('_count') && v.labels['statement'] === statement && v.labels['outcome'] === outcome)?.value ?? 0;
  }

  function logged(sql: string, level: 'query' | 'error' = 'query'): LogEvent {
    return { level, query: { sql, parameters: [], query: {} as never, queryId: {} as never }, queryDurationMillis: 1.5, error: level === 'error' ? new Error('failed') : undefined } as LogEvent;
  }

  it('labels a statement by its first word, after the comment that marks a result left unread', async () => {
    const metrics = new ServerMetrics();
    metrics.logQuery(logged(`${RESULT_UNREAD}insert into "call_events" ("id") values ($1)`));
    metrics.logQuery(logged('/* a */ /* b */\n  update calls set state = $1'));
    metrics.logQuery(logged('select 1'));
    metrics.logQuery(logged('savepoint ledger_unit'));
    metrics.logQuery(logged('delete from calls', 'error'));
    expect(await counted(metrics, 'insert')).toBe(1);
    expect(await counted(metrics, 'update')).toBe(1);
    expect(await counted(metrics, 'select')).toBe(1);
    expect(await counted(metrics, 'other')).toBe(1);
    expect(await counted(metrics, 'delete', 'error')).toBe(1);
  });

  it('labels a statement run again as the first time, by kind and by outcome each time', async () => {
    const metrics = new ServerMetrics();
    for (const level of ['query', 'query', 'error', 'query'] as const) metrics.logQuery(logged('/* unread */ insert into calls (id) values ($1)', level));
    metrics.logQuery(logged('select 1'));
    metrics.logQuery(logged('select 1', 'error'));
    expect(await counted(metrics, 'insert')).toBe(3);
    expect(await counted(metrics, 'insert', 'error')).toBe(1);
    expect(await counted(metrics, 'select')).toBe(1);
    expect(await counted(metrics, 'select', 'error')).toBe(1);
    expect(await counted(metrics, 'other')).toBe(0);
  });

  it('labels statements right past the texts it keeps the kind of (a history page makes a statement of its own per filter)', async () => {
    const metrics = new ServerMetrics();
    for (let i = 0; i < 2_100; i++) metrics.logQuery(logged(`select * from calls where queue_ms > ${i}`));
    metrics.logQuery(logged('update calls set state = $1'));
    metrics.logQuery(logged('select * from calls where queue_ms > 2099'));
    expect(await counted(metrics, 'select')).toBe(2_101);
    expect(await counted(metrics, 'update')).toBe(1);
  });
});
