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

  it("neutralises formulas by prefixing = + - @ tab and CR with '", () => {
    expect(['=1+2', '+41 22', '-3', '@SUM(A1)', '\tx'].map(csvCell)).toEqual(["'=1+2", "'+41 22", "'-3", "'@SUM(A1)", "'\tx"]);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('a=b')).toBe('a=b');
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
      'c1,2026-11-02T09:00:00.000Z,ended,answered,s1,"Lee, Kim",a1,Alex Agent,2026-11-02T09:00:10.000Z,2026-11-02T09:00:11.000Z,2026-11-02T09:05:11.000Z,agent,hung_up,10,300,45.5,Password reset,\'=cmd\r\n',
    );
  });
});
