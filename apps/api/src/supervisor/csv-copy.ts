import { CALL_CSV_SOURCE, csvCell } from './csv';

/**
 * The export's CSV made from PostgreSQL's own: `COPY (SELECT <CALL_CSV_SOURCE>) TO STDOUT WITH
 * (FORMAT csv, FORCE_QUOTE *)` sends each row as one message of bytes in which every non-null
 * cell is quoted (`""` for a quote inside) and a null is nothing, and the row ends with LF. The
 * server writes that text in C; here each row becomes, byte for byte, what `callCsvRecords`
 * makes of the same row read as values — without a JavaScript string per cell (parsing 18
 * cells per row into strings was most of the API's CPU on PostgreSQL).
 *
 * - A text cell that starts with an ASCII letter or digit can neither be a formula nor start
 *   with what a spreadsheet skips: its bytes are kept, in quotes only if it holds a quote,
 *   comma, CR or LF (RFC 4180: PostgreSQL has already doubled the quotes). Any other text goes
 *   through `csvCell` (formula guard, empty text as nothing).
 * - A duration (`*_ms`, an `integer` column) is written in seconds from its digits, as
 *   `String(ms / 1000)` writes an integer below 10^12 (`callCsvRecords`' `secondsCell`).
 * - The record ends with CRLF.
 */

/** The cells of `CALL_CSV_SOURCE` that hold milliseconds (`queue_ms`, `talk_ms`, `wrap_up_ms`). */
const DURATION_COLUMNS = new Set(['queue_ms', 'talk_ms', 'wrap_up_ms'].map((column) => CALL_CSV_SOURCE.indexOf(column as (typeof CALL_CSV_SOURCE)[number])));
/** How many cells a row has. */
const CELLS = CALL_CSV_SOURCE.length;

/**
 * How many more bytes a record may take than its COPY row: one per text cell (the formula
 * guard's `'`), two per duration (`"1"` → `0.001`), one for CRLF.
 */
export const COPY_ROW_GROWTH = 24;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const ZERO = 0x30;
const MINUS = 0x2d;

/** Whether a byte is an ASCII letter or digit. */
function plainStart(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39);
}

/**
 * Writes the CSV record of one COPY row (its bytes, LF included) into `out` from `at`, and
 * returns where it ends. `out` must have room for `row.length + COPY_ROW_GROWTH` bytes.
 * A row not shaped as described above (a cell count other than 18) is an error.
 */
export function copyRowToCallCsv(row: Uint8Array, out: Uint8Array, at: number): number {
  let i = 0;
  let o = at;
  for (let cell = 0; cell < CELLS; cell++) {
    if (cell > 0) {
      if (row[i] !== COMMA) throw new Error(`COPY row: expected a comma before cell ${cell + 1}`);
      i++;
      out[o++] = COMMA;
    }
    if (row[i] !== QUOTE) continue; // null: an empty cell
    // The quoted cell's content is [start, end), quotes still doubled.
    const start = i + 1;
    let j = start;
    let special = false;
    for (;;) {
      const b = row[j];
      if (b === QUOTE) {
        if (row[j + 1] !== QUOTE) break;
        special = true;
        j += 2;
      } else if (b === undefined) {
        throw new Error('COPY row: unterminated quoted cell');
      } else {
        if (b === COMMA || b === CR || b === LF) special = true;
        j++;
      }
    }
    const end = j;
    i = j + 1;
    if (DURATION_COLUMNS.has(cell)) {
      o = writeSeconds(row, start, end, out, o);
    } else if (start < end && plainStart(row[start])) {
      if (special) out[o++] = QUOTE;
      if (end - start > 64) {
        out.set(row.subarray(start, end), o);
        o += end - start;
      } else {
        for (let k = start; k < end; k++) out[o++] = row[k];
      }
      if (special) out[o++] = QUOTE;
    } else if (start < end) {
      const text = Buffer.from(row.buffer, row.byteOffset + start, end - start).toString('utf8').replace(/""/g, '"');
      o += Buffer.from(out.buffer, out.byteOffset + o, out.byteLength - o).write(csvCell(text), 'utf8');
    }
  }
  if (row[i] !== LF) throw new Error(`COPY row: expected the end of the row after ${CELLS} cells`);
  out[o++] = CR;
  out[o++] = LF;
  return o;
}

/**
 * Seconds from the decimal digits of a whole number of milliseconds (an optional minus, no
 * leading zeros, as PostgreSQL writes an integer): the digits before the last three, or 0, then
 * the last three without trailing zeros after a dot — `String(ms / 1000)` of an integer.
 */
function writeSeconds(row: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  let o = at;
  let i = start;
  if (row[i] === MINUS) {
    out[o++] = MINUS;
    i++;
  }
  const digits = end - i;
  let integer = digits > 0 && !(digits > 1 && row[i] === ZERO);
  for (let k = i; k < end && integer; k++) integer = row[k] >= ZERO && row[k] <= ZERO + 9;
  if (!integer) throw new Error('COPY row: a duration is not an integer');
  const whole = end - 3;
  if (whole > i) {
    for (let k = i; k < whole; k++) out[o++] = row[k];
  } else {
    out[o++] = ZERO;
  }
  // The last three digits (zeros in front if there are fewer), trailing zeros dropped.
  let last = end - 1;
  while (last >= i && last >= whole && row[last] === ZERO) last--;
  if (last >= whole && last >= i) {
    out[o++] = DOT;
    for (let k = whole; k < i; k++) out[o++] = ZERO;
    for (let k = Math.max(whole, i); k <= last; k++) out[o++] = row[k];
  }
  return o;
}

/**
 * The values of one COPY row as the export's query reads them (null, text, or the duration's
 * milliseconds as a number): the cursor of the next batch comes from the last row.
 */
export function copyRowValues(row: Uint8Array): unknown[] {
  const values: unknown[] = [];
  let i = 0;
  for (let cell = 0; cell < CELLS; cell++) {
    if (cell > 0) i++; // the comma
    if (row[i] !== QUOTE) {
      values.push(null);
      continue;
    }
    let j = i + 1;
    while (!(row[j] === QUOTE && row[j + 1] !== QUOTE)) j += row[j] === QUOTE ? 2 : 1;
    const text = Buffer.from(row.buffer, row.byteOffset + i + 1, j - i - 1).toString('utf8').replace(/""/g, '"');
    values.push(DURATION_COLUMNS.has(cell) ? Number(text) : text);
    i = j + 1;
  }
  return values;
}
