import type { Kysely } from 'kysely';
import type { MetricsReport } from '@switchboard/call-domain';
import type { CallRow, Database } from '../src/database/schema';
import { call } from './support';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      field = '';
      record = [];
      i++;
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length) throw new Error('CSV does not end with CRLF');
  return records;
}

/** What a spreadsheet-safe CSV cell should read for a stored value. */
export function expectedCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return '=+-@\t\r'.includes(text[0] ?? 'x') ? `'${text}` : text;
}

/** Every stored call, straight from the table. */
export function allCalls(db: Kysely<Database>): Promise<CallRow[]> {
  return db.selectFrom('calls').selectAll().execute();
}

/**
 * Asks `GET /api/metrics` with `params` from the roll-ups and from the raw records (`source=raw`),
 * expects every figure equal (the averages, sums of floats in another order, to 1e-9) and
 * returns the raw report.
 */
export async function expectRollupsEqualRaw(url: string, token: string, params: Record<string, string | number>): Promise<MetricsReport> {
  const query = (more: Record<string, string>) => new URLSearchParams(Object.fromEntries([...Object.entries(params).map(([k, v]) => [k, String(v)]), ...Object.entries(more)])).toString();
  const fast = await call<MetricsReport>(url, 'GET', `/api/metrics?${query({})}`, { token });
  const raw = await call<MetricsReport>(url, 'GET', `/api/metrics?${query({ source: 'raw' })}`, { token });
  expect([fast.status, raw.status]).toEqual([200, 200]);
  const context = JSON.stringify(params);
  const { averageSpeedOfAnswerSeconds: asa, averageHandleTimeSeconds: aht, longestCurrentWaitSeconds: _, ...exact } = fast.body.metrics;
  const { averageSpeedOfAnswerSeconds: rawAsa, averageHandleTimeSeconds: rawAht, longestCurrentWaitSeconds: __, ...rawExact } = raw.body.metrics;
  expect(exact).withContext(context).toEqual(rawExact);
  expect(asa).withContext(context).toBeCloseTo(rawAsa ?? NaN, 9);
  expect(aht).withContext(context).toBeCloseTo(rawAht ?? NaN, 9);
  return raw.body;
}

/** The figures recomputed with plain loops over stored rows, independently of the API's code. */
export function recomputeMetrics(rows: CallRow[], missedActors: string[], from: string, to: string, slSeconds: number, shortSeconds: number) {
  const period = rows.filter((r) => r.queued_at >= from && r.queued_at < to);
  const answered = period.filter((r) => r.outcome === 'answered');
  const abandoned = period.filter((r) => r.outcome === 'abandoned' || r.outcome === 'short_abandon');
  const short = abandoned.filter((r) => (r.queue_ms ?? 0) <= shortSeconds * 1000);
  const within = answered.filter((r) => (r.queue_ms ?? 0) <= slSeconds * 1000);
  let queueMs = 0;
  let handleMs = 0;
  let handled = 0;
  for (const r of answered) {
    queueMs += r.queue_ms ?? 0;
    if (r.talk_ms === null) continue;
    handleMs += r.talk_ms + (r.wrap_up_ms ?? 0);
    handled++;
  }
  const missed: Record<string, number> = {};
  for (const id of missedActors) missed[id] = (missed[id] ?? 0) + 1;
  const byHour = new Array<number>(24).fill(0);
  for (const r of period) byHour[new Date(r.queued_at).getUTCHours()]++;
  return {
    offered: period.length,
    answered: answered.length,
    abandoned: abandoned.length,
    shortAbandoned: short.length,
    answerRate: answered.length / period.length,
    abandonRate: abandoned.length / period.length,
    averageSpeedOfAnswerSeconds: queueMs / answered.length / 1000,
    averageHandleTimeSeconds: handleMs / handled / 1000,
    serviceLevel: within.length / (answered.length + abandoned.length - short.length),
    missed,
    byHour,
  };
}
