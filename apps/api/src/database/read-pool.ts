import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Compilable, Kysely } from 'kysely';
import type { AppConfig } from '../config/config';
import { READ_FORMATS, type ReadFormat } from '../supervisor/read-formats';
import type { Database } from './schema';

/** A compiled statement sent to a read worker. */
export interface ReadRequest {
  id: number;
  sql: string;
  parameters: readonly unknown[];
  /** Turn the rows into this text in the worker; only the last row comes back with it (and the text's UTF-8 bytes). */
  format?: ReadFormat;
  /** Where to write the formatted bytes (transferred to the worker, and back with them). */
  buffer?: ArrayBuffer;
}

/**
 * Rows read, or (formatted) their text as UTF-8 bytes, their count and the last row. A
 * formatted read is answered twice: first as soon as its rows are read (`read`, with the last
 * row), then with the bytes (transferred, not copied).
 */
export interface ReadResult {
  id: number;
  rows: Record<string, unknown>[];
  count: number;
  bytes?: Uint8Array;
  read?: true;
}

/** A formatted read ({@link ReadPool.formatted}): the rows' count and last row as soon as they are read, the text (UTF-8) once it is made. */
export interface FormattedRead<O> {
  read: Promise<{ count: number; last: O | undefined }>;
  /**
   * The text's bytes. Made in a worker, they are the start of an ArrayBuffer of their own
   * (`text.buffer`): once written, that buffer may be handed to the next `formatted` read to be
   * filled again ({@link TransferBuffers}).
   */
  text: Promise<Buffer>;
}

/** What a read worker connects to: the SQLite file, or the PostgreSQL server. */
export type ReadWorkerData = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

/** A read worker's answer: the rows, or the error's message. */
export type ReadReply = ReadResult | { id: number; error: string };

/** Asks a read worker to end its connection; it answers {@link CLOSED} (then it is stopped). */
export const CLOSE = { close: true } as const;
/** A read worker's connection is ended. */
export const CLOSED = { closed: true } as const;
/** How long closing waits for a worker to end its connection before stopping it anyway. */
const CLOSE_WAIT_MS = 2_000;

/** Worker threads: two, so one long report does not queue the next page, and an export reads one batch while the other formats. */
const SQLITE_READERS = 2;

interface Reader {
  worker: Worker;
  pending: Map<number, { resolve: (result: ReadResult) => void; reject: (err: Error) => void; onRead?: (result: ReadResult) => void }>;
}

/**
 * Where the supervisor's long reads run (history pages, search, export batches, metrics):
 * never on the main thread's SQLite connection, which better-sqlite3 uses synchronously and
 * which the call path needs. On SQLite a small pool of worker threads, each with its own
 * read-only connection to the same WAL file, runs the compiled statements; each statement
 * sees the last commit. PostgreSQL is already asynchronous: its statements go to the pool,
 * except the formatted reads ({@link ReadPool.formatted}, the export's batches), whose rows
 * would otherwise be parsed and formatted on the main thread: each worker runs those on a
 * connection of its own. An in-memory SQLite database (unit tests) cannot be shared, so it
 * reads in-process.
 */
export class ReadPool {
  private readonly readers: Reader[] = [];
  private nextId = 1;
  private closed = false;
  private threads: boolean | undefined;
  private formatThreads: boolean | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly settings: AppConfig['database'],
    private readonly size = SQLITE_READERS,
  ) {}

  /** Whether reads run on worker threads (SQLite file) rather than on `db`. */
  get offThread(): boolean {
    this.threads ??= this.settings.dialect === 'sqlite' && this.settings.file !== ':memory:' && existsSync(workerScript());
    return this.threads;
  }

  /** Whether formatted reads run on worker threads (a SQLite file, or PostgreSQL) rather than on this one. */
  get formatsOffThread(): boolean {
    this.formatThreads ??= (this.settings.dialect === 'postgres' || this.settings.file !== ':memory:') && existsSync(workerScript());
    return this.formatThreads;
  }

  /** Runs a SELECT and returns its rows, typed as Kysely types them. */
  async all<O>(query: Compilable<O>): Promise<O[]> {
    const compiled = query.compile();
    if (!this.offThread) return (await this.db.executeQuery(compiled)).rows;
    if (this.closed) throw new Error('The read pool is closed');
    return (await this.send({ sql: compiled.sql, parameters: compiled.parameters })).rows as O[];
  }

  /**
   * Runs a SELECT and turns its rows into text ({@link READ_FORMATS}, given the rows as arrays
   * in the SELECT's column order) where they were read: in a worker, so the main thread only
   * receives the string. `read` settles when
   * the rows are read, before they are formatted, so a caller paging by keyset can send the
   * next batch's read (to the other worker) while this one is formatted.
   */
  formatted<O>(query: Compilable<O>, format: ReadFormat, into?: ArrayBuffer): FormattedRead<O> {
    if (!this.formatsOffThread) {
      const rows = this.all(query);
      return {
        read: rows.then((r) => ({ count: r.length, last: r[r.length - 1] })),
        // Formatted on this thread (in-memory SQLite): what came in meanwhile goes first.
        text: rows.then((r) => new Promise<Buffer>((resolve) => setImmediate(() => resolve(Buffer.from(READ_FORMATS[format].rows(r.map((row) => Object.values(row as object)))))))),
      };
    }
    const compiled = query.compile();
    let onRead: (result: ReadResult) => void = () => undefined;
    const read = new Promise<ReadResult>((resolve) => (onRead = resolve));
    const done = this.send({ sql: compiled.sql, parameters: compiled.parameters, format, buffer: into }, onRead);
    return {
      read: Promise.race([read, done]).then((r) => ({ count: r.count, last: r.rows[0] as O | undefined })),
      text: done.then((r) => (r.bytes ? Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength) : Buffer.alloc(0))),
    };
  }

  /** The first row of a SELECT, or undefined. */
  async first<O>(query: Compilable<O>): Promise<O | undefined> {
    return (await this.all(query))[0];
  }

  /** Stops the worker threads; reads still pending fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.readers.splice(0).map((r) => this.stop(r.worker)));
  }

  /** Lets the worker end its connection (within {@link CLOSE_WAIT_MS}), then stops it. */
  private async stop(worker: Worker): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
      worker.on('message', (reply: object) => 'closed' in reply && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage(CLOSE);
    await ended;
    clearTimeout(timer);
    await worker.terminate();
  }

  private send(request: Omit<ReadRequest, 'id'>, onRead?: (result: ReadResult) => void): Promise<ReadResult> {
    if (this.closed) return Promise.reject(new Error('The read pool is closed'));
    const reader = this.leastBusy();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      reader.pending.set(id, { resolve, reject, onRead });
      reader.worker.postMessage({ ...request, id } satisfies ReadRequest, request.buffer ? [request.buffer] : []);
    });
  }

  private leastBusy(): Reader {
    if (this.readers.length < this.size && !this.readers.some((r) => r.pending.size === 0)) return this.spawn();
    return this.readers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): Reader {
    const data: ReadWorkerData = this.settings.dialect === 'sqlite' ? { dialect: 'sqlite', file: this.settings.file } : { dialect: 'postgres', url: this.settings.url };
    const worker = new Worker(workerScript(), { workerData: data });
    worker.unref();
    const reader: Reader = { worker, pending: new Map() };
    worker.on('message', (reply: ReadReply | typeof CLOSED) => {
      if ('closed' in reply) return;
      const waiting = reader.pending.get(reply.id);
      if (!waiting) return;
      if ('read' in reply && reply.read) {
        waiting.onRead?.(reply);
        return;
      }
      reader.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(reply);
    });
    const fail = (err: Error) => {
      const index = this.readers.indexOf(reader);
      if (index >= 0) this.readers.splice(index, 1);
      for (const waiting of reader.pending.values()) waiting.reject(err);
      reader.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`A database read worker stopped (exit code ${code})`)));
    this.readers.push(reader);
    return reader;
  }
}

/**
 * The transfer buffers of one reader of formatted reads (an export): at most `limit` of them,
 * each either in a worker being filled or with the reader until what it holds is written, then
 * given back and filled again. They bound what the reader holds (`limit` batches, whatever the
 * row count and however slow its client), and no batch allocates memory that only a garbage
 * collection would give back. In-process formatting (in-memory SQLite) takes none.
 */
export class TransferBuffers {
  private readonly free: ArrayBuffer[] = [];
  private readonly waiting: (() => void)[] = [];
  private out = 0;
  private ended = false;

  constructor(
    private readonly reads: ReadPool,
    private readonly limit: number,
  ) {}

  /** Whether {@link end} was called. */
  get closed(): boolean {
    return this.ended;
  }

  /**
   * A buffer for the next read (undefined: the worker starts one, or the pool formats
   * in-process); waits while `limit` are out. After {@link end}, at once and undefined.
   */
  async take(): Promise<ArrayBuffer | undefined> {
    if (!this.reads.formatsOffThread) return undefined;
    while (!this.ended && this.out >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.ended) return undefined;
    this.out++;
    return this.free.pop();
  }

  /** Gives back the buffer of a read's bytes (`text`), once nothing reads them any more; any other buffer is ignored. */
  give(bytes: Buffer | undefined): void {
    if (!this.reads.formatsOffThread || this.out === 0) return;
    this.out--;
    if (bytes && bytes.byteOffset === 0 && !this.ended) this.free.push(bytes.buffer as ArrayBuffer);
    this.waiting.shift()?.();
  }

  /** Stops lending: waiting takes get undefined, buffers given back are dropped. */
  end(): void {
    this.ended = true;
    this.free.length = 0;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

function workerScript(): string {
  return join(__dirname, 'read-worker.js');
}
