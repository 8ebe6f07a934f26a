import { Readable } from 'node:stream';
import { Inject, Injectable, StreamableFile } from '@nestjs/common';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { CallExportQuery } from '@switchboard/call-domain';
import type { DatabaseConnection } from '../database/database';
import { DATABASE_CONNECTION, InjectDatabase } from '../database/database.module';
import { ReadPool, type FormattedRead } from '../database/read-pool';
import type { CallRow, Database } from '../database/schema';
import { callFilters, keysetRuns, outcomeStreams, readFilters, type CallCursor, type ReadFilters } from './call-queries';
import { CALL_CSV_HEADER, CALL_CSV_SOURCE } from './csv';

/** Rows read per query while exporting. */
export const EXPORT_BATCH_SIZE = 1000;


/**
 * Streams the calls matching a filter as CSV, in the order the list shows them (same `sort`
 * and `dir`), one keyset batch at a time: memory stays flat whatever the row count, each
 * batch costs the same (no OFFSET), and reading runs one batch ahead of the client, no more
 * (see {@link CallExportService.lines}). The export is not one snapshot: a call still in
 * progress whose sort value changes mid-export (its outcome, talk time, agent) may move past
 * or behind the cursor; finished calls never change, so a finished period exports exactly.
 * Each batch is read and formatted in the {@link ReadPool}'s worker threads (SQLite and
 * PostgreSQL): an export of a million rows never holds up a call.
 */
@Injectable()
export class CallExportService {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    private readonly reads: ReadPool,
  ) {}

  /** The CSV download (header row, then one record per call). */
  csv(query: CallExportQuery): StreamableFile {
    const name = `calls-${(query.from ?? 'start').slice(0, 10)}-to-${(query.to ?? 'now').slice(0, 10)}.csv`;
    return new StreamableFile(Readable.from(this.lines(query)), {
      type: 'text/csv; charset=utf-8; header=present',
      disposition: `attachment; filename="${name}"`,
    });
  }

  /**
   * The CSV text in chunks of UTF-8: the header, then one chunk per batch (formatted where it
   * was read, in a worker thread on both databases; its bytes moved to this thread, not copied).
   * Pipelined: as soon as a batch's rows are read, the next batch's read starts (on SQLite on
   * the other worker thread) while this one is formatted and then written; no further than
   * that (the stream asks for a chunk only when the response has taken the last ones, so a
   * slow client holds the export back). Destroying the stream (the client went away) ends
   * the generator: what is read ahead is dropped and nothing more is read.
   */
  async *lines(exportQuery: CallExportQuery, batchSize = EXPORT_BATCH_SIZE): AsyncGenerator<Buffer> {
    yield Buffer.from(CALL_CSV_HEADER);
    const query = await this.readFilters(exportQuery);
    let at: ExportPosition = { stretch: 0 };
    let next: FormattedRead<CallCursor> | undefined = this.read(query, at, batchSize);
    while (next) {
      const current: FormattedRead<CallCursor> = next;
      const { count, last } = await current.read;
      const following = this.after(query, at, count === batchSize ? last : undefined);
      next = following && this.read(query, following, batchSize);
      if (following) at = following;
      const text = await current.text;
      if (count) yield text;
    }
  }

  /**
   * One batch's formatted read (only the exported columns, in the CSV's order); what nobody
   * waits for any more (an abandoned export) fails quietly.
   */
  private read(query: CallExportQuery & ReadFilters, at: ExportPosition, batchSize: number): FormattedRead<CallCursor> {
    const columns = this.db.selectFrom('calls').select(CALL_CSV_SOURCE.map((c) => `calls.${c}` as const));
    const reading = this.reads.formatted(this.batch(columns, query, at, batchSize), 'call-csv');
    reading.read.catch(() => undefined);
    reading.text.catch(() => undefined);
    return reading;
  }

  /**
   * The matching rows in batches, in the list's order (`sort`, then queue time, then id, in
   * `dir`), each batch resumed after the last row of the previous one ({@link keysetRuns}).
   */
  async *batches(exportQuery: CallExportQuery, batchSize = EXPORT_BATCH_SIZE): AsyncGenerator<CallRow[]> {
    const query = await this.readFilters(exportQuery);
    let at: ExportPosition | undefined = { stretch: 0 };
    while (at) {
      const batch: CallRow[] = await this.reads.all(this.batch(this.db.selectFrom('calls').selectAll('calls'), query, at, batchSize));
      if (batch.length) yield batch;
      at = this.after(query, at, batch.length === batchSize ? batch[batch.length - 1] : undefined);
    }
  }

  /**
   * Where the batch after one read at `at` starts: after its `last` row if it was full, else
   * at the start of the next stretch of the order (a nullable sort's nulls), else nowhere.
   */
  private after(query: CallExportQuery & ReadFilters, at: ExportPosition, last: CallCursor | undefined): ExportPosition | undefined {
    if (last) return { stretch: at.stretch, cursor: last };
    return at.stretch + 1 < this.runs(this.db.selectFrom('calls').select('calls.id'), query).length ? { stretch: at.stretch + 1 } : undefined;
  }

  /** The query of one batch: `select`'s matching rows from `at`. */
  private batch<O>(select: SelectQueryBuilder<Database, 'calls', O>, query: CallExportQuery & ReadFilters, at: ExportPosition, batchSize: number) {
    // After a cursor, the first run is the rest of the cursor's own stretch.
    return this.runs(select, query, at.cursor)[at.cursor ? 0 : at.stretch](batchSize);
  }

  /** The query's filters with what their plans need to know first ({@link readFilters}). */
  private readFilters(query: CallExportQuery): Promise<CallExportQuery & ReadFilters> {
    return readFilters(this.db, this.connection.dialect, query, (probe) => this.reads.first(probe));
  }

  /** The {@link keysetRuns} of the export's order, from the start or after `cursor`. */
  private runs<O>(select: SelectQueryBuilder<Database, 'calls', O>, query: CallExportQuery & ReadFilters, cursor?: CallCursor) {
    const dialect = this.connection.dialect;
    const matching = select.where((eb) => callFilters(eb, query, dialect, query.sort));
    return keysetRuns(this.db, matching, query.sort, query.dir, { cursor, outcomes: outcomeStreams(query, query.sort) });
  }
}

/** Where an export's next batch starts: the stretch of the order ({@link keysetRuns}) and the row it follows. */
interface ExportPosition {
  stretch: number;
  cursor?: CallCursor;
}
