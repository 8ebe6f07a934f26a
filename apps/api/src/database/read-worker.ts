// A worker thread of the ReadPool. On SQLite it runs compiled SELECT statements on its own
// read-only connection to the API's SQLite file (WAL: readers never block the writer, nor it
// them), so a long supervisor read never holds the main thread's event loop. On PostgreSQL it
// runs the formatted reads (the export's batches) on its own connection, as COPY: the server
// writes each row's CSV and this thread turns its bytes into the export's, not the main thread.
// A formatted read's bytes are written into the transfer buffer the request brought (a bigger
// one only if they do not fit) and moved back to the main thread with it, not copied.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { Client, Query } from 'pg';
import { READ_FORMATS, type ReadFormatter } from '../supervisor/read-formats';
import { inlinePostgresParameters } from './inline-parameters';
import { openSqliteReadOnly } from './sqlite-read-only';
import { CLOSE, CLOSED, type ReadReply, type ReadRequest, type ReadWorkerData } from './read-pool';

const settings = workerData as ReadWorkerData;

/**
 * A read's rows: objects, or arrays in the SELECT's column order with those columns' names, or
 * (a formatted read done as a whole here) the bytes already written, the row count and the last row.
 */
type Rows = { objects: Record<string, unknown>[] } | { arrays: unknown[][]; columns: string[] } | { written: Sink; count: number; last: Record<string, unknown> | undefined };

/** Reads with this thread's own connection; `close` ends that connection. */
interface Reader {
  read(request: ReadRequest): Rows | Promise<Rows>;
  close(): Promise<void>;
}

const reader: Reader = settings.dialect === 'sqlite' ? sqliteReader(settings.file) : postgresReader(settings.url);
const read = (request: ReadRequest) => reader.read(request);

parentPort?.on('message', (request: ReadRequest | typeof CLOSE) => {
  if ('close' in request) {
    // The pool is closing: the connection ends properly (the server sees a goodbye, not a reset), then the thread is stopped.
    void reader.close().finally(() => parentPort?.postMessage(CLOSED));
    return;
  }
  // The bytes are moved to the main thread, not copied.
  void answer(request).then((reply) => parentPort?.postMessage(reply, 'bytes' in reply && reply.bytes ? [reply.bytes.buffer as ArrayBuffer] : []));
});

async function answer(request: ReadRequest): Promise<ReadReply> {
  try {
    const rows = await read(request);
    if ('written' in rows) return { id: request.id, rows: rows.last ? [rows.last] : [], count: rows.count, bytes: rows.written.bytes() };
    if ('objects' in rows || !request.format) {
      const objects = 'objects' in rows ? rows.objects : [];
      return { id: request.id, rows: objects, count: objects.length };
    }
    const { arrays, columns } = rows;
    const last = arrays.length ? [Object.fromEntries(columns.map((name, i) => [name, arrays[arrays.length - 1][i]]))] : [];
    // Formatted: first the count and the last row (the next batch's cursor, so its read can
    // start on another worker now), then the bytes.
    parentPort?.postMessage({ id: request.id, rows: last, count: arrays.length, read: true } satisfies ReadReply);
    const sink = new Sink(request.buffer);
    sink.text(READ_FORMATS[request.format].rows(arrays));
    return { id: request.id, rows: [], count: arrays.length, bytes: sink.bytes() };
  } catch (err) {
    return { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Smallest buffer a sink starts with when the request brought none. */
const SINK_START_BYTES = 64 * 1024;

/**
 * Bytes written into an ArrayBuffer of their own (the request's transfer buffer; when they
 * outgrow it, a bigger one, the old one dropped), so that they can be moved to the main thread.
 */
class Sink {
  private buffer: Buffer;
  length = 0;

  constructor(into: ArrayBuffer | undefined) {
    this.buffer = Buffer.from(into ?? new ArrayBuffer(SINK_START_BYTES));
  }

  /** The buffer, with room for `more` bytes after `length`. */
  room(more: number): Buffer {
    if (this.length + more > this.buffer.byteLength) {
      const bigger = Buffer.from(new ArrayBuffer(Math.max(this.length + more, this.buffer.byteLength * 2)));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    return this.buffer;
  }

  /** Appends `text` in UTF-8. */
  text(text: string): void {
    const needed = text.length * 3 <= this.buffer.byteLength - this.length ? 0 : Buffer.byteLength(text, 'utf8');
    this.length += this.room(needed).write(text, this.length, 'utf8');
  }

  /** What was written: a view from the start of the buffer (which is all transferred). */
  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, 0, this.length);
  }
}

/** Reads on a read-only connection to `file`, statements prepared once; formatted reads as `raw()` arrays. */
function sqliteReader(file: string): Reader {
  const db = openSqliteReadOnly(file);
  const statements = new Map<string, SQLite.Statement>();
  const close = (): Promise<void> => {
    db.close();
    return Promise.resolve();
  };
  const read = (request: ReadRequest): Rows => {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = db.prepare(request.sql);
      if (statements.size >= 200) statements.clear();
      statements.set(request.sql, statement);
    }
    // Arrays, not an object per row: SQLite hands them over in about half the time.
    if (!request.format) return { objects: statement.raw(false).all(...request.parameters) as Record<string, unknown>[] };
    const arrays = statement.raw(true).all(...request.parameters) as unknown[][];
    return { arrays, columns: statement.columns().map((c) => c.name) };
  };
  return { read, close };
}

/** Reads on one PostgreSQL connection of this thread's own (opened on the first read, again after it is lost); formatted reads as arrays. */
function postgresReader(url: string): Reader {
  let connection: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    const client = new Client({ connectionString: url });
    const lost = () => {
      if (connection === opening) connection = undefined;
    };
    client.on('error', () => {
      lost();
      client.end().catch(() => undefined); // its socket goes too
    });
    client.on('end', lost);
    const opening = client.connect().then(() => client);
    opening.catch(lost);
    return opening;
  };
  const close = async (): Promise<void> => {
    const open = connection;
    connection = undefined;
    await open?.then((client) => client.end()).catch(() => undefined);
  };
  const read = async (request: ReadRequest): Promise<Rows> => {
    connection ??= connect();
    const client = await connection;
    if (!request.format) return { objects: (await client.query({ text: request.sql, values: [...request.parameters] })).rows as Record<string, unknown>[] };
    const copied = inlinePostgresParameters(request.sql, request.parameters);
    if (copied !== undefined) return copy(client, copied, READ_FORMATS[request.format], new Sink(request.buffer));
    const result = await client.query({ text: request.sql, values: [...request.parameters], rowMode: 'array' });
    return { arrays: result.rows as unknown[][], columns: result.fields.map((f) => f.name) };
  };
  return { read, close };
}

/**
 * Runs `select` (parameters written in) as `COPY … TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)`
 * and writes each row's bytes, as they arrive, through `format.copyRow` into `sink`; the last
 * row (copied: the protocol's buffer is reused) gives the cursor, named as `format.columns`.
 */
function copy(client: Client, select: string, format: ReadFormatter, sink: Sink): Promise<Rows> {
  const query = new Query(`copy (${select}) to stdout with (format csv, force_quote *)`);
  let count = 0;
  let last = Buffer.alloc(1024);
  let lastLength = 0;
  let failed: unknown;
  // pg hands a COPY's rows to the running query; its own Query ignores them.
  (query as unknown as { handleCopyData(message: { chunk: Buffer }): void }).handleCopyData = ({ chunk }) => {
    if (failed) return;
    try {
      sink.length = format.copyRow(chunk, sink.room(chunk.length + format.copyGrowth), sink.length);
      count++;
      if (chunk.length > last.length) last = Buffer.alloc(chunk.length * 2);
      chunk.copy(last);
      lastLength = chunk.length;
    } catch (err) {
      failed = err;
    }
  };
  return new Promise<Rows>((resolve, reject) => {
    query.on('error', reject);
    query.on('end', () => {
      if (failed) return reject(failed instanceof Error ? failed : new Error(String(failed)));
      const values = count ? format.copyValues(last.subarray(0, lastLength)) : [];
      resolve({ written: sink, count, last: count ? Object.fromEntries(format.columns.map((name, i) => [name, values[i]])) : undefined });
    });
    client.query(query);
  });
}
