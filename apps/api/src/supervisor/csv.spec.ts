import type { CallRecord } from '@switchboard/call-domain';
import type { CallRow } from '../database/schema';
import { toCallRecord } from './call-queries';
import { CALL_CSV_COLUMNS, CALL_CSV_HEADER, CALL_CSV_SOURCE, callCsvLine, callCsvRecords, csvCell, csvLine } from './csv';

describe('CSV', () => {
  it('leaves plain cells as they are and writes null as empty', () => {
    expect(csvLine(['abc', 12.5, null, undefined, 0])).toBe('abc,12.5,,,0\r\n');
  });

  it('quotes commas, quotes, CR and LF, doubling quotes (RFC 4180)', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rhere')).toBe('"cr\rhere"');
  });

  it("neutralises formulas (OWASP): prefixes ' and quotes every cell a spreadsheet could run", () => {
    const cells: [string, string][] = [
      ['=1+2', `"'=1+2"`],
      ['+41 22', `"'+41 22"`],
      ['-3', `"'-3"`],
      ['@SUM(A1)', `"'@SUM(A1)"`],
      ['\tx', `"'\tx"`],
      ['\r=1+1', `"'\r=1+1"`],
      ['\n=1+1', `"'\n=1+1"`],
      ['\u0000=1', `"'\u0000=1"`],
      [' =1+1', `"' =1+1"`],
      ['   @SUM(A1)', `"'   @SUM(A1)"`],
      ['\u00A0=1+1', `"'\u00A0=1+1"`],
      ['\u3000＝1+1', `"'\u3000＝1+1"`],
      ['＝HYPERLINK("http://x")', `"'＝HYPERLINK(""http://x"")"`],
      ['＋1', `"'＋1"`],
      ['－1', `"'－1"`],
      ['＠SUM(A1)', `"'＠SUM(A1)"`],
      ['"=1+1', `"'""=1+1"`],
      ['" -2+3', `"'"" -2+3"`],
      ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ];
    for (const [stored, written] of cells) expect(csvCell(stored)).withContext(JSON.stringify(stored)).toBe(written);
  });

  it('leaves text that cannot run as a formula alone, and numbers as numbers', () => {
    for (const text of ['a=b', 'Call me at 3', "'=already text", 'x -1', 'Zoë', '']) expect(csvCell(text)).withContext(JSON.stringify(text)).toBe(text);
    expect(csvCell('"quoted" text')).toBe('"""quoted"" text"');
    expect(csvLine([-3, 0, 12.5])).toBe('-3,0,12.5\r\n');
  });

  it('writes a call in the header order', () => {
    const call: CallRecord = {
      id: 'c1',
      queuedAt: '2026-11-02T09:00:00.000Z',
      state: 'ended',
      outcome: 'answered',
      callerId: 's1',
      callerName: 'Lee, Kim',
      agentId: 'a1',
      agentName: 'Alex Agent',
      answeredAt: '2026-11-02T09:00:10.000Z',
      connectedAt: '2026-11-02T09:00:11.000Z',
      endedAt: '2026-11-02T09:05:11.000Z',
      endedBy: 'agent',
      endReason: 'hung_up',
      queueSeconds: 10,
      talkSeconds: 300,
      wrapUpSeconds: 45.5,
      disposition: 'Password reset',
      notes: '=cmd',
    };
    expect(CALL_CSV_HEADER.startsWith('id,queuedAt,state,outcome,callerId,callerName,')).toBeTrue();
    expect(callCsvLine(call)).toBe(
      'c1,2026-11-02T09:00:00.000Z,ended,answered,s1,"Lee, Kim",a1,Alex Agent,2026-11-02T09:00:10.000Z,2026-11-02T09:00:11.000Z,2026-11-02T09:05:11.000Z,agent,hung_up,10,300,45.5,Password reset,"\'=cmd"\r\n',
    );
  });

  it('writes rows read as arrays byte for byte as the records of those calls, whatever the cells hold', () => {
    // Every text column takes each of these in turn: plain, empty, formulas (ASCII, full-width,
    // after spaces and quotes), control characters first, quotes, commas, line breaks, non-ASCII.
    const texts = ['Lee Kim', '', '=1+1', '+1', '-3', '@x', ' =1', '"=1', '\u3000=1', '\uFF1D1', '\tx', '\rx', '\nx', '\u0000x', 'a,b', 'say "hi"', 'two\nlines', 'é', 'Zoë', '9 lives', ' plain', "'quoted"];
    const durations = [null, 0, 1, 999, 1000, 45500, 300000, 1234567, '86400000'];
    const textColumns = CALL_CSV_SOURCE.filter((c) => !c.endsWith('_ms'));
    const rows: CallRow[] = [];
    for (let i = 0; i < texts.length * 3; i++) {
      const row = { direction: 'inbound', callback_id: null, ringing_agent_id: null, rings_out_at: null, negotiation_id: null } as Record<string, unknown>;
      textColumns.forEach((c, k) => (row[c] = k % 5 === 4 && i % 2 ? null : texts[(i + k) % texts.length]));
      row['queue_ms'] = durations[i % durations.length];
      row['talk_ms'] = durations[(i + 3) % durations.length];
      row['wrap_up_ms'] = durations[(i + 5) % durations.length];
      rows.push(row as unknown as CallRow);
    }
    const expected = rows.map((r) => callCsvLine(toCallRecord(r))).join('');
    expect(callCsvRecords(rows.map((r) => CALL_CSV_SOURCE.map((c) => r[c])))).toBe(expected);
    // The source columns are the exported ones, in the header's order.
    const named = Object.fromEntries(CALL_CSV_SOURCE.map((c) => [c, c.endsWith('_ms') ? 1000 : c])) as unknown as CallRow;
    const record = toCallRecord(named);
    expect(CALL_CSV_COLUMNS.map((c) => record[c])).toEqual(CALL_CSV_SOURCE.map((c) => (c.endsWith('_ms') ? 1 : c)));
  });

  it('writes a duration in seconds exactly as the record does, for every millisecond value', () => {
    const durations = [...Array.from({ length: 20_000 }, (_, i) => i), 86_399_999, 123_456_789_012, 999_999_999_999, 1e12, 2 ** 53 - 1, 1.5, -1000];
    const row = (ms: number) => ['id', 'q', 'ended', null, 'c', 'n', null, null, null, null, null, null, null, ms, null, null, null, null];
    const mine = callCsvRecords(durations.map(row));
    const theirs = durations.map((ms) => csvLine(['id', 'q', 'ended', null, 'c', 'n', null, null, null, null, null, null, null, ms / 1000, null, null, null, null])).join('');
    expect(mine).toBe(theirs);
  });
});
