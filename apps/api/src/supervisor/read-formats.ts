import { COPY_ROW_GROWTH, copyRowToCallCsv, copyRowValues } from './csv-copy';
import { CALL_CSV_SOURCE, callCsvRecords } from './csv';

/** How a read worker turns a read's rows into bytes ({@link READ_FORMATS}). */
export interface ReadFormatter {
  /** The text of rows read as arrays of the selected columns, in the SELECT's order (SQLite's `raw()`, pg's `rowMode: 'array'`). */
  rows(rows: readonly (readonly unknown[])[]): string;
  /**
   * PostgreSQL: the same text from the rows of `COPY (<the SELECT>) TO STDOUT WITH (FORMAT csv,
   * FORCE_QUOTE *)`, one row's bytes at a time into `out` from `at` (returns the end; `out`
   * has room for the row's length plus `copyGrowth`), and one row's values for the cursor.
   */
  copyRow(row: Uint8Array, out: Uint8Array, at: number): number;
  copyGrowth: number;
  copyValues(row: Uint8Array): unknown[];
  /** The columns the SELECT must read, in this order (the cells `copyRow` expects; the names of `copyValues`). */
  columns: readonly string[];
}

/**
 * What a read worker can turn its rows into before handing them over, so that only their bytes
 * cross to the main thread (`ReadPool.formatted`): `call-csv`, the export's CSV records of rows
 * selected as `CALL_CSV_SOURCE`.
 */
export const READ_FORMATS = {
  'call-csv': { rows: callCsvRecords, copyRow: copyRowToCallCsv, copyGrowth: COPY_ROW_GROWTH, copyValues: copyRowValues, columns: CALL_CSV_SOURCE },
} as const satisfies Record<string, ReadFormatter>;

/** See {@link READ_FORMATS}. */
export type ReadFormat = keyof typeof READ_FORMATS;
