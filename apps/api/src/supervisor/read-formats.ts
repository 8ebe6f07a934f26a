import type { CallRow } from '../database/schema';
import { toCallRecord } from './call-queries';
import { callCsvLine } from './csv';

/**
 * What a read worker can turn its rows into before handing them over, so that only one string
 * crosses to the main thread (`ReadPool.formatted`): `call-csv`, the export's CSV records.
 */
export const READ_FORMATS = {
  'call-csv': (rows: readonly Record<string, unknown>[]): string => (rows as unknown as CallRow[]).map((row) => callCsvLine(toCallRecord(row))).join(''),
} as const;

/** See {@link READ_FORMATS}. */
export type ReadFormat = keyof typeof READ_FORMATS;
