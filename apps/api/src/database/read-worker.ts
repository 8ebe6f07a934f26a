// A worker thread of the ReadPool: runs compiled SELECT statements on its own read-only
// connection to the API's SQLite file (WAL: readers never block the writer, nor it them), so
// a long supervisor read never holds the main thread's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { READ_FORMATS } from '../supervisor/read-formats';
import type { ReadReply, ReadRequest } from './read-pool';

const { file } = workerData as { file: string };
const db = new SQLite(file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map<string, SQLite.Statement>();

parentPort?.on('message', (request: ReadRequest) => {
  let reply: ReadReply;
  try {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = db.prepare(request.sql);
      if (statements.size >= 200) statements.clear();
      statements.set(request.sql, statement);
    }
    const rows = statement.all(...request.parameters) as Record<string, unknown>[];
    if (request.format) {
      // Formatted: first the count and the last row (the next batch's cursor, so its read can
      // start on another worker now), then the text.
      parentPort?.postMessage({ id: request.id, rows: rows.slice(-1), count: rows.length, read: true } satisfies ReadReply);
      reply = { id: request.id, rows: [], count: rows.length, text: READ_FORMATS[request.format](rows) };
    } else {
      reply = { id: request.id, rows, count: rows.length };
    }
  } catch (err) {
    reply = { id: request.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
