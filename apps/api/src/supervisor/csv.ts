import type { CallRecord } from '@switchboard/call-domain';

/**
 * Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): the
 * ASCII ones and their full-width forms (＝ ＋ － ＠), which some spreadsheets (Excel with East
 * Asian input) take as the same operators.
 */
const FORMULA_STARTS = new Set(['=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/** Characters a cell must not start with: a spreadsheet may drop or act on them (tab, CR, LF, NUL). */
const CONTROL_STARTS = new Set(['\t', '\r', '\n', '\u0000']);

/**
 * What a spreadsheet may skip before it decides a cell is a formula: white space (ASCII and
 * Unicode, no-break and ideographic spaces included) and quote characters (a cell ` =1+1` or
 * `"=1+1` still runs as a formula in some of them).
 */
const SKIPPED_BEFORE_FORMULA = /^[\s"\u00A0\u2000-\u200B\u3000\uFEFF\uFF02]*/;

/** Line ending of RFC 4180. */
export const CSV_LINE_END = '\r\n';

/**
 * Whether a text cell could be run as a formula: it starts with a formula character, a tab,
 * CR, LF or NUL, or with a formula character after white space and quotes.
 */
export function looksLikeFormula(text: string): boolean {
  if (CONTROL_STARTS.has(text.charAt(0))) return true;
  const skipped = SKIPPED_BEFORE_FORMULA.exec(text)?.[0].length ?? 0;
  return FORMULA_STARTS.has(text.charAt(skipped));
}

/**
 * One CSV cell, following OWASP's CSV-injection guidance: empty for null; numbers as they are;
 * text that {@link looksLikeFormula} is prefixed with `'` (shown as text, not run) and always
 * quoted; any other text quoted (quotes doubled) if it holds a comma, quote, CR or LF (RFC 4180).
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const guarded = looksLikeFormula(value);
  const text = guarded ? `'${value}` : value;
  return guarded || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
