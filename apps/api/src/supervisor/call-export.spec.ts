import type { CallExportQuery, CallOutcome } from '@switchboard/call-domain';
import type { SqlDialect } from '../config/config';
import { ReadPool } from '../database/read-pool';
import type { CallRow } from '../database/schema';
import { openTestDatabase, type TestDatabase } from '../testing/each-dialect';
import { CallExportService } from './call-export.service';
import { toCallRecord } from './call-queries';
import { CALL_CSV_HEADER, callCsvLine } from './csv';

/**
 * The export's bytes are made differently on each database (SQLite: values read by the worker
 * and written as CSV; PostgreSQL: the server's COPY CSV turned into the export's), and must not
 * differ: the same calls give the same download on both, byte for byte, equal to the records.
 */
describe('The CSV export on SQLite and PostgreSQL', () => {
  const databases = new Map<SqlDialect, TestDatabase & { close(): Promise<void> }>();
  const exporters = new Map<SqlDialect, CallExportService>();
  const pools: ReadPool[] = [];
  // Cells a spreadsheet could run, that need quotes, that PostgreSQL's CSV writes differently
  // (empty text, `\.`), non-ASCII, long text; the agent's id holds a quote and a backslash (a
  // filter value written into the COPY statement).
  const texts = ['Lee Kim', '', '=1+1', '+41 22', '-3', '@x', ' =1', '"=1', '\u3000=1', '\uFF1D1', '\tx', '\rx', '\nx', 'a,b', 'say "hi"', 'two\r\nlines', 'Zoë', '9 lives', "'quoted", '\\.', `O'Brien \\ "x"`, 'w'.repeat(500)];
  const durations = [null, 0, 1, 999, 1000, 45500, 1234567, 2147483647, -1500];
  const outcomes: CallOutcome[] = ['answered', 'abandoned', 'failed', 'unanswered'];
  /** One call still in progress (no outcome, no end: a call is over exactly when it has an outcome); the others ended. */
  const LIVE = 2;
  const agentId = `agent'\\1`;
  const rows: CallRow[] = [];
  for (let i = 0; i < 60; i++) {
    const text = (k: number) => texts[(i + k) % texts.length];
    rows.push({
      id: `${i % 3 ? 'c' : '=c'}${String(i).padStart(3, '0')}`,
      direction: 'inbound',
      callback_id: null,
      state: i === LIVE ? 'connected' : 'ended',
      outcome: i === LIVE ? null : outcomes[i % outcomes.length],
      caller_id: 'student-1',
      caller_name: text(0),
      agent_id: i % 4 === 2 ? null : agentId,
      agent_name: i % 4 === 2 ? null : text(1),
      ringing_agent_id: null,
      rings_out_at: null,
      // Ties on queue time, so the cursor resumes on the id.
      queued_at: `2026-11-${String(1 + Math.floor(i / 3)).padStart(2, '0')}T09:00:00.000Z`,
      answered_at: i % 2 ? null : '2026-11-02T09:00:10.000Z',
      connected_at: i % 5 ? `2026-11-02T09:00:1${i % 10}.000Z` : null,
      ended_at: i === LIVE ? null : '2026-11-02T09:05:11.000Z',
      ended_by: i % 3 && i !== LIVE ? 'agent' : null,
      end_reason: i % 3 && i !== LIVE ? 'hung_up' : null,
      queue_ms: durations[i % durations.length],
      talk_ms: durations[(i + 4) % durations.length],
      wrap_up_ms: durations[(i + 7) % durations.length],
      disposition: i % 6 ? text(2) : null,
      notes: text(3),
      negotiation_id: null,
    } as CallRow);
  }

  beforeAll(async () => {
    for (const dialect of ['sqlite', 'postgres'] as const) {
      const database = await openTestDatabase(dialect);
      databases.set(dialect, database);
      const created = '2026-01-01T00:00:00.000Z';
      await database.db
        .insertInto('users')
        .values([
          { id: 'student-1', username: 'sam', display_name: 'Sam', role: 'student', password_hash: 'x', created_at: created },
          { id: agentId, username: 'alex', display_name: 'Alex', role: 'agent', password_hash: 'x', created_at: created },
        ])
        .execute();
      await database.db.insertInto('calls').values(rows).execute();
      const pool = new ReadPool(database.db, database.settings);
      pools.push(pool);
      exporters.set(dialect, new CallExportService(database.db, { db: database.db, dialect }, pool));
    }
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    for (const database of databases.values()) await database.close();
  });

  const download = async (dialect: SqlDialect, query: CallExportQuery, batchSize: number) => {
    const chunks: Buffer[] = [];
    const exporter = exporters.get(dialect);
    if (!exporter) throw new Error(`no ${dialect} exporter`);
    for await (const chunk of exporter.lines(query, batchSize)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };

  it('is the same bytes on both, the records of the calls in the list order, in batches of any size', async () => {
    const ordered = [...rows].sort((a, b) => (a.queued_at === b.queued_at ? (a.id < b.id ? -1 : 1) : a.queued_at < b.queued_at ? -1 : 1));
    const want = CALL_CSV_HEADER + ordered.map((r) => callCsvLine(toCallRecord(r))).join('');
    for (const size of [7, 1000]) {
      const sqlite = await download('sqlite', { sort: 'queuedAt', dir: 'asc' }, size);
      const postgres = await download('postgres', { sort: 'queuedAt', dir: 'asc' }, size);
      expect(sqlite.toString('utf8')).withContext(`SQLite, batches of ${size}`).toBe(want);
      expect(postgres.equals(sqlite)).withContext(`PostgreSQL = SQLite, batches of ${size}`).toBeTrue();
    }
  });

  it('is the same bytes on both with filters and a cursor on a nullable number (values written into the COPY statement)', async () => {
    const query: CallExportQuery = { sort: 'talkSeconds', dir: 'desc', agentId, outcome: ['answered', 'unanswered'], from: '2026-11-02', to: `2026-11-19T00:00:00.000Z` };
    const sqlite = await download('sqlite', query, 4);
    const postgres = await download('postgres', query, 4);
    const records = sqlite.toString('utf8').split('\r\n').length;
    expect(records).toBeGreaterThan(5);
    expect(postgres.toString('utf8')).toBe(sqlite.toString('utf8'));
  });
});
