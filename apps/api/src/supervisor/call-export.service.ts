import { Readable } from 'node:stream';
import { Injectable, StreamableFile } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { CallExportQuery } from '@switchboard/call-domain';
import { InjectDatabase } from '../database/database.module';
import type { CallRow, Database } from '../database/schema';
import { callFilters, toCallRecord } from './call-queries';
import { CALL_CSV_HEADER, callCsvLine } from './csv';

/** Rows read per query while exporting. */
export const EXPORT_BATCH_SIZE = 1000;

/**
 * Streams the calls matching a filter as CSV, in queue-time order, one keyset batch at a
 * time: memory stays flat whatever the row count, and the next batch is only read when the
 * client has taken the previous one (stream back-pressure).
 */
@Injectable()
export class CallExportService {
  constructor(@InjectDatabase() private readonly db: Kysely<Database>) {}

  /** The CSV download (header row, then one record per call). */
  csv(query: CallExportQuery): StreamableFile {
    const name = `calls-${(query.from ?? 'start').slice(0, 10)}-to-${(query.to ?? 'now').slice(0, 10)}.csv`;
    return new StreamableFile(Readable.from(this.lines(query)), {
      type: 'text/csv; charset=utf-8; header=present',
      disposition: `attachment; filename="${name}"`,
    });
  }

  /** The CSV text in chunks: the header, then one chunk per batch. */
  async *lines(query: CallExportQuery): AsyncGenerator<string> {
    yield CALL_CSV_HEADER;
    for await (const batch of this.batches(query)) yield batch.map((row) => callCsvLine(toCallRecord(row))).join('');
  }

  /** The matching rows in batches, ordered by (queued_at, id) and resumed after the last row. */
  async *batches(query: CallExportQuery): AsyncGenerator<CallRow[]> {
    const after = query.dir === 'asc' ? '>' : '<';
    let last: CallRow | undefined;
    do {
      const cursor = last;
      const batch = await this.db
        .selectFrom('calls')
        .selectAll('calls')
        .where((eb) => callFilters(eb, query))
        .where((eb) => (cursor ? eb(eb.refTuple('calls.queued_at', 'calls.id'), after, eb.tuple(cursor.queued_at, cursor.id)) : eb.and([])))
        .orderBy('calls.queued_at', query.dir)
        .orderBy('calls.id', query.dir)
        .limit(EXPORT_BATCH_SIZE)
        .execute();
      if (batch.length) yield batch;
      last = batch.length === EXPORT_BATCH_SIZE ? batch[batch.length - 1] : undefined;
    } while (last);
  }
}
