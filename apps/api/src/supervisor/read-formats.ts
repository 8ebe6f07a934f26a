import { callCsvRecords } from './csv';

/**
 * What a read worker can turn its rows into before handing them over, so that only one string
 * crosses to the main thread (`ReadPool.formatted`). The rows come as arrays of the selected
 * columns, in the SELECT's order: `call-csv`, the export's CSV records of rows selected as
 * `CALL_CSV_SOURCE`.
 */
export const READ_FORMATS = {
  'call-csv': callCsvRecords,
} as const satisfies Record<string, (rows: readonly (readonly unknown[])[]) => string>;

/** See {@link READ_FORMATS}. */
export type ReadFormat = keyof typeof READ_FORMATS;
