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

/**
 * The `calls` columns the export reads, in the order of {@link CALL_CSV_COLUMNS} (the three
 * `*_ms` columns become the `*Seconds` ones): what {@link callCsvRecords} takes as arrays.
 */
export const CALL_CSV_SOURCE = [
  'id',
  'queued_at',
  'state',
  'outcome',
  'caller_id',
  'caller_name',
  'agent_id',
  'agent_name',
  'answered_at',
  'connected_at',
  'ended_at',
  'ended_by',
  'end_reason',
  'queue_ms',
  'talk_ms',
  'wrap_up_ms',
  'disposition',
  'notes',
] as const;

const NEEDS_QUOTES = /[",\r\n]/;
const QUOTES = /"/g;

/**
 * {@link csvCell} of a stored text (or null), with a fast path for the usual cell: one that
 * starts with an ASCII letter or digit can neither look like a formula nor start with
 * something a spreadsheet skips, so only the RFC 4180 quoting is left to decide.
 */
function textCell(value: unknown): string {
  if (typeof value !== 'string') return csvCell(value as number | null | undefined);
  const c = value.charCodeAt(0);
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) {
    return NEEDS_QUOTES.test(value) ? `"${value.replace(QUOTES, '""')}"` : value;
  }
  return csvCell(value);
}

/** Decimals of a whole number of milliseconds, as `String(ms / 1000)` writes them: '', '.5', '.25', '.125'. */
const MILLISECOND_DECIMALS = Array.from({ length: 1000 }, (_, ms) => (ms ? String(ms / 1000).slice(1) : ''));

/**
 * {@link csvCell} of a stored duration in milliseconds, in seconds (as `toCallRecord` makes it:
 * `String(ms / 1000)`). A whole number of milliseconds below 10^12 is written from its whole
 * seconds and a table of the 1 000 decimal tails, which is what `String` makes of it (at most
 * 13 significant digits, so the shortest round-trip form is the exact decimal) at a fraction
 * of the cost of printing a double.
 */
function secondsCell(stored: unknown): string {
  if (stored === null || stored === undefined) return '';
  const ms = Number(stored);
  if (!Number.isInteger(ms) || ms < 0 || ms >= 1e12) return String(ms / 1000);
  const rest = ms % 1000;
  return String((ms - rest) / 1000) + MILLISECOND_DECIMALS[rest];
}

/**
 * The CSV records of stored calls given as arrays of {@link CALL_CSV_SOURCE} (SQLite's `raw()`
 * rows, pg's `rowMode: 'array'`): byte for byte what {@link callCsvLine} makes of each one's
 * `toCallRecord`, without building a record, an array of cells and a join per row — this runs
 * a million times per million-call export.
 */
export function callCsvRecords(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const r of rows) {
    out +=
      textCell(r[0]) + ',' + textCell(r[1]) + ',' + textCell(r[2]) + ',' + textCell(r[3]) + ',' + textCell(r[4]) + ',' +
      textCell(r[5]) + ',' + textCell(r[6]) + ',' + textCell(r[7]) + ',' + textCell(r[8]) + ',' + textCell(r[9]) + ',' +
      textCell(r[10]) + ',' + textCell(r[11]) + ',' + textCell(r[12]) + ',' + secondsCell(r[13]) + ',' + secondsCell(r[14]) + ',' +
      secondsCell(r[15]) + ',' + textCell(r[16]) + ',' + textCell(r[17]) + CSV_LINE_END;
  }
  return out;
}
