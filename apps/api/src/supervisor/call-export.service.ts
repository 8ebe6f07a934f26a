import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { CallExportQuery } from '@switchboard/call-domain';
import type { DatabaseConnection } from '../database/database';
import { DATABASE_CONNECTION, InjectDatabase } from '../database/database.module';
import { ReadPool, TransferBuffers, type FormattedRead } from '../database/read-pool';
import type { CallRow, Database } from '../database/schema';
import { callFilters, keysetRuns, outcomeStreams, type CallCursor } from './call-queries';
import { CALL_CSV_HEADER, CALL_CSV_SOURCE } from './csv';

/** Rows read per query while exporting. */
export const EXPORT_BATCH_SIZE = 1000;

/**
 * Batches an export holds at most (their transfer buffers): one being read, one formatted,
 * one being written to the client — enough to keep both workers and the socket busy.
 */
export const EXPORT_BUFFERS = 3;

/**
 * Streams the calls matching a filter as CSV, in the order the list shows them (same `sort`
 * and `dir`), one keyset batch at a time: memory stays flat whatever the row count, each
 * batch costs the same (no OFFSET), and no more than {@link EXPORT_BUFFERS} batches are read
 * ahead of what the client has taken (see {@link CallExportService.send}). On PostgreSQL each
 * batch is a `COPY` whose CSV the worker turns into the export's (`csv-copy.ts`), on SQLite the
 * worker writes the rows it read; the bytes are the same. The export is not one snapshot: a call still in
 * progress whose sort value changes mid-export (its outcome, talk time, agent) may move past
 * or behind the cursor; finished calls never change, so a finished period exports exactly.
 * Each batch is read and formatted in the {@link ReadPool}'s worker threads (SQLite and
 * PostgreSQL): an export of a million rows never holds up a call; this thread only passes each
 * batch's bytes to the socket.
 */
@Injectable()
export class CallExportService {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    @Inject(DATABASE_CONNECTION) private readonly connection: DatabaseConnection,
    private readonly reads: ReadPool,
  ) {}

  /** The download's headers: CSV, and a file name from the period. */
  headers(query: CallExportQuery): Record<string, string> {
    const name = `calls-${(query.from ?? 'start').slice(0, 10)}-to-${(query.to ?? 'now').slice(0, 10)}.csv`;
    return { 'content-type': 'text/csv; charset=utf-8; header=present', 'content-disposition': `attachment; filename="${name}"` };
  }

  /**
   * Writes the CSV download to `res` (a 200 with {@link headers}, the header record, one chunk
   * per batch) and ends it; resolves when the export is over: written, or stopped because the
   * client went away (nothing more is read then). A batch's bytes go to the socket as the
   * worker made them (no copy, no re-encoding) and their transfer buffer is filled again only
   * once the socket has taken them: at most {@link EXPORT_BUFFERS} batches are held, so memory
   * stays flat and a slow client holds the reading back. A read that fails after the headers
   * went cuts the download (the client sees it unfinished, not a shorter file).
   */
  async send(query: CallExportQuery, res: ServerResponse, batchSize = EXPORT_BATCH_SIZE): Promise<void> {
    const buffers = new TransferBuffers(this.reads, EXPORT_BUFFERS);
    const gone = () => buffers.end();
    res.once('close', gone);
    try {
      const chunks = this.chunks(query, batchSize, buffers);
      // The first batch is read before the status goes: a statement that fails at once is a 500 problem, not a cut download.
      const first = await chunks.next();
      res.writeHead(200, this.headers(query));
      res.write(CALL_CSV_HEADER);
      for (let chunk = first; !chunk.done; chunk = await chunks.next()) {
        const bytes = chunk.value;
        if (buffers.closed) {
          buffers.give(bytes);
          continue;
        }
        res.write(bytes, () => buffers.give(bytes));
      }
      if (!buffers.closed) res.end();
    } catch (err) {
      if (!res.headersSent) throw err;
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    } finally {
      res.off('close', gone);
      buffers.end();
    }
  }

  /**
   * The CSV text in chunks of UTF-8: the header, then one chunk per batch (each a copy: for
   * callers that keep them; the download uses {@link send}).
   */
  async *lines(query: CallExportQuery, batchSize = EXPORT_BATCH_SIZE): AsyncGenerator<Buffer> {
    yield Buffer.from(CALL_CSV_HEADER);
    const buffers = new TransferBuffers(this.reads, EXPORT_BUFFERS);
    try {
      for await (const bytes of this.chunks(query, batchSize, buffers)) {
        const copy = Buffer.from(bytes);
        buffers.give(bytes);
        yield copy;
      }
    } finally {
      buffers.end();
    }
  }

  /**
   * The batches' CSV bytes, one chunk per batch, each in a transfer buffer of `buffers` (to give
   * back once written), formatted where it was read (a worker thread on both databases).
   * Pipelined: as soon as a batch's rows are read, the next batch's read starts (on SQLite on
   * the other worker thread) while this one is formatted; reading waits for a free buffer, so
   * no more than `buffers` allows is ever read ahead. Ends early once `buffers` is ended (the
   * client went away): what is read ahead is dropped and nothing more is read.
   */
  private async *chunks(query: CallExportQuery, batchSize: number, buffers: TransferBuffers): AsyncGenerator<Buffer> {
    let at: ExportPosition = { stretch: 0 };
    let next: FormattedRead<CallCursor> | undefined = this.read(query, at, batchSize, await buffers.take());
    while (next) {
      const current: FormattedRead<CallCursor> = next;
      next = undefined;
      const { count, last } = await current.read.catch((err: unknown) => {
        void current.text.then((bytes) => buffers.give(bytes), () => buffers.give(undefined));
        throw err;
      });
      const following = this.after(query, at, count === batchSize ? last : undefined);
      if (following) {
        const into = await buffers.take();
        if (!buffers.closed) {
          next = this.read(query, following, batchSize, into);
          at = following;
        }
      }
      const bytes = await current.text.catch((err: unknown) => {
        buffers.give(undefined);
        throw err;
      });
      if (count && !buffers.closed) yield bytes;
      else buffers.give(bytes);
    }
  }

  /**
   * One batch's formatted read (only the exported columns, in the CSV's order), its bytes
   * written `into` that transfer buffer; what nobody waits for any more (an abandoned export)
   * fails quietly.
   */
  private read(query: CallExportQuery, at: ExportPosition, batchSize: number, into: ArrayBuffer | undefined): FormattedRead<CallCursor> {
    const columns = this.db.selectFrom('calls').select(CALL_CSV_SOURCE.map((c) => `calls.${c}` as const));
    const reading = this.reads.formatted(this.batch(columns, query, at, batchSize), 'call-csv', into);
    reading.read.catch(() => undefined);
    reading.text.catch(() => undefined);
    return reading;
  }

  /**
   * The matching rows in batches, in the list's order (`sort`, then queue time, then id, in
   * `dir`), each batch resumed after the last row of the previous one ({@link keysetRuns}).
   */
  async *batches(query: CallExportQuery, batchSize = EXPORT_BATCH_SIZE): AsyncGenerator<CallRow[]> {
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
  private after(query: CallExportQuery, at: ExportPosition, last: CallCursor | undefined): ExportPosition | undefined {
    if (last) return { stretch: at.stretch, cursor: last };
    return at.stretch + 1 < this.runs(this.db.selectFrom('calls').select('calls.id'), query).length ? { stretch: at.stretch + 1 } : undefined;
  }

  /** The query of one batch: `select`'s matching rows from `at`. */
  private batch<O>(select: SelectQueryBuilder<Database, 'calls', O>, query: CallExportQuery, at: ExportPosition, batchSize: number) {
    // After a cursor, the first run is the rest of the cursor's own stretch.
    return this.runs(select, query, at.cursor)[at.cursor ? 0 : at.stretch](batchSize);
  }

  /** The {@link keysetRuns} of the export's order, from the start or after `cursor`. */
  private runs<O>(select: SelectQueryBuilder<Database, 'calls', O>, query: CallExportQuery, cursor?: CallCursor) {
    const dialect = this.connection.dialect;
    return keysetRuns(this.db, select, query.sort, query.dir, { cursor, outcomes: outcomeStreams(query, query.sort), filters: (eb) => callFilters(eb, query, dialect, query.sort), poor: query.quality === 'poor' });
  }
}

/** Where an export's next batch starts: the stretch of the order ({@link keysetRuns}) and the row it follows. */
interface ExportPosition {
  stretch: number;
  cursor?: CallCursor;
}
