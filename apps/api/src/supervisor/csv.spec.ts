import type { CallRecord } from '@switchboard/call-domain';
import { CALL_CSV_HEADER, callCsvLine, csvCell, csvLine } from './csv';

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
});
