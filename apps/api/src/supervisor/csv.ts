import type { CallRecord } from '@switchboard/call-domain';

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

/** Line ending of RFC 4180. */
export const CSV_LINE_END = '\r\n';

/**
 * One CSV cell: empty for null, the text prefixed with `'` if a spreadsheet would run it as a
 * formula, then quoted (quotes doubled) if it holds a comma, quote, CR or LF (RFC 4180).
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_TRIGGERS.has(text.charAt(0))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvCell).join(',') + CSV_LINE_END;
}

/** The export's columns: header name and value, in order. */
export const CALL_CSV_COLUMNS: readonly (keyof CallRecord)[] = [
  'id',
  'queuedAt',
  'state',
  'outcome',
  'callerId',
  'callerName',
  'agentId',
  'agentName',
  'answeredAt',
  'connectedAt',
  'endedAt',
  'endedBy',
  'endReason',
  'queueSeconds',
  'talkSeconds',
  'wrapUpSeconds',
  'disposition',
  'notes',
];

/** The header record of the calls export. */
export const CALL_CSV_HEADER = csvLine(CALL_CSV_COLUMNS);

/** One call as a CSV record of {@link CALL_CSV_COLUMNS}. */
export function callCsvLine(call: CallRecord): string {
  return csvLine(CALL_CSV_COLUMNS.map((c) => call[c]));
}
