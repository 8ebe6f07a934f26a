// A worker thread of the ReadPool. On SQLite it runs compiled SELECT statements on its own
// read-only connection to the API's SQLite file (WAL: readers never block the writer, nor it
// them), so a long supervisor read never holds the main thread's event loop. On PostgreSQL it
// runs the formatted reads (the export's batches) on its own connection: the rows are parsed
// and turned into text here, not on the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { Client } from 'pg';
import { READ_FORMATS } from '../supervisor/read-formats';
import { CLOSE, CLOSED, type ReadReply, type ReadRequest, type ReadWorkerData } from './read-pool';

const settings = workerData as ReadWorkerData;

/** A read's rows: objects, or arrays in the SELECT's column order with those columns' names. */
type Rows = { objects: Record<string, unknown>[] } | { arrays: unknown[][]; columns: string[] };

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
  // The text's bytes are moved to the main thread, not copied.
  void answer(request).then((reply) => parentPort?.postMessage(reply, 'bytes' in reply && reply.bytes ? [reply.bytes.buffer as ArrayBuffer] : []));
});

async function answer(request: ReadRequest): Promise<ReadReply> {
  try {
    const rows = await read(request);
    if ('objects' in rows || !request.format) {
      const objects = 'objects' in rows ? rows.objects : [];
      return { id: request.id, rows: objects, count: objects.length };
    }
    const { arrays, columns } = rows;
    const last = arrays.length ? [Object.fromEntries(columns.map((name, i) => [name, arrays[arrays.length - 1][i]]))] : [];
    // Formatted: first the count and the last row (the next batch's cursor, so its read can
    // start on another worker now), then the text.
    parentPort?.postMessage({ id: request.id, rows: last, count: arrays.length, read: true } satisfies ReadReply);
    return { id: request.id, rows: [], count: arrays.length, bytes: ownBytes(READ_FORMATS[request.format](arrays)) };
  } catch (err) {
    return { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
}

/** `text` in UTF-8, in an ArrayBuffer of its own (not a slice of Buffer's shared pool), so it can be transferred. */
function ownBytes(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** Reads on a read-only connection to `file`, statements prepared once; formatted reads as `raw()` arrays. */
function sqliteReader(file: string): Reader {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
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
    const result = await client.query({ text: request.sql, values: [...request.parameters], rowMode: 'array' });
    return { arrays: result.rows as unknown[][], columns: result.fields.map((f) => f.name) };
  };
  return { read, close };
}
