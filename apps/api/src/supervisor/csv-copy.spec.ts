import { CALL_CSV_SOURCE, callCsvRecords } from './csv';
import { COPY_ROW_GROWTH, copyRowToCallCsv, copyRowValues } from './csv-copy';

/** A row as PostgreSQL's `COPY … (FORMAT csv, FORCE_QUOTE *)` writes it: every value quoted, null as nothing, LF. */
function copyRow(values: readonly unknown[]): Buffer {
  return Buffer.from(values.map((v) => (v === null ? '' : `"${String(v).replace(/"/g, '""')}"`)).join(',') + '\n', 'utf8');
}

/** What `copyRowToCallCsv` makes of rows, written one after another as the worker does. */
function fromCopy(rows: readonly (readonly unknown[])[]): string {
  const input = rows.map(copyRow);
  const out = Buffer.alloc(input.reduce((n, r) => n + r.length + COPY_ROW_GROWTH, 0));
  let at = 0;
  for (const row of input) at = copyRowToCallCsv(row, out, at);
  return out.toString('utf8', 0, at);
}

describe('CSV from PostgreSQL COPY rows', () => {
  // Every text column takes each of these in turn (no NUL: PostgreSQL text cannot hold it).
  const texts = ['Lee Kim', '', '=1+1', '+1', '-3', '@x', ' =1', '"=1', '\u3000=1', '\uFF1D1', '\tx', '\rx', '\nx', 'a,b', 'say "hi"', 'two\nlines', 'cr\rhere', 'é', 'Zoë', '9 lives', ' plain', "'quoted", '\\.', 'x'.repeat(200) + ',', 'y'.repeat(300), '"'];
  const durations = [null, 0, 1, 10, 999, 1000, 1001, 45500, 300000, 1234567, 2147483647, -1, -1500, -2147483648];
  const rows: unknown[][] = [];
  for (let i = 0; i < texts.length * 3; i++) {
    const row = CALL_CSV_SOURCE.map((c, k) => (c.endsWith('_ms') ? durations[(i + k) % durations.length] : k % 5 === 4 && i % 2 ? null : texts[(i + k) % texts.length]));
    rows.push(row);
  }

  it('writes byte for byte what the export writes of the same rows read as values', () => {
    expect(fromCopy(rows)).toBe(callCsvRecords(rows));
  });

  it('writes every duration in seconds as String(ms / 1000) does', () => {
    const all = [...Array.from({ length: 20_000 }, (_, i) => i), ...Array.from({ length: 2_000 }, (_, i) => -i), 86_399_999, 2_147_483_647, -2_147_483_648];
    const row = (ms: number) => ['id', 'q', 'ended', null, 'c', 'n', null, null, null, null, null, null, null, ms, null, ms, null, null];
    expect(fromCopy(all.map(row))).toBe(callCsvRecords(all.map(row)));
  });

  it('stays within the room it asks for, however a row grows', () => {
    // Formula guards in every text cell and the shortest durations (each grows the most).
    const worst = CALL_CSV_SOURCE.map((c) => (c.endsWith('_ms') ? -1 : '=1'));
    const input = copyRow(worst);
    const out = Buffer.alloc(input.length + COPY_ROW_GROWTH);
    expect(copyRowToCallCsv(input, out, 0)).toBeLessThanOrEqual(out.length);
    expect(out.toString('utf8', 0, copyRowToCallCsv(input, out, 0))).toBe(callCsvRecords([worst]));
  });

  it('reads a row back as the values it holds (the next batch’s cursor)', () => {
    for (const row of rows) expect(copyRowValues(copyRow(row))).toEqual(row.map((v) => (v === '' ? '' : v)));
  });

  it('refuses a row that is not the export’s 18 cells rather than writing a shifted record', () => {
    const out = Buffer.alloc(1024);
    expect(() => copyRowToCallCsv(Buffer.from('"a","b"\n'), out, 0)).toThrowError(/comma before cell 3/);
    expect(() => copyRowToCallCsv(copyRow([...CALL_CSV_SOURCE, 'extra'].map(() => '1')), out, 0)).toThrowError(/end of the row/);
    expect(() => copyRowToCallCsv(Buffer.from('"a'), out, 0)).toThrowError(/unterminated/);
    const decimal = CALL_CSV_SOURCE.map((c) => (c.endsWith('_ms') ? '1.5' : 'x'));
    expect(() => copyRowToCallCsv(copyRow(decimal), out, 0)).toThrowError(/not an integer/);
  });
});
