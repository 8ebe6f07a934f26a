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
});
