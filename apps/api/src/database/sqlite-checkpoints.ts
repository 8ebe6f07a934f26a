import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * How often the background connection checkpoints the WAL into the database file. Not more
 * often: after each complete checkpoint the app's next commit starts the WAL over and syncs
 * its header (synchronous=NORMAL), one fsync on the event loop per checkpoint.
 */
export const CHECKPOINT_EVERY_MS = 1_000;
/**
 * The app's own connection checkpoints only when the WAL has grown past this many pages
 * (~200 MB): the background one fell behind or stopped. SQLite's default is 1 000.
 */
export const FOREGROUND_CHECKPOINT_PAGES = 50_000;

/** How long closing the database waits for the worker to close its connection. */
const CLOSE_WAIT_MS = 2_000;

// Runs in a worker thread: its own connection to the file, a PASSIVE checkpoint (never waits
// for the app's readers or writer) every \`everyMs\`. \`state[0]\`: 0 running, 1 asked to close,
// 2 closed (the app waits for 2 before it closes its own connection).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const state = new Int32Array(workerData.state);
let db = null;
let timer = null;
function finish() {
  if (timer) clearInterval(timer);
  try { if (db) db.close(); } catch {}
  db = null;
  Atomics.store(state, 0, 2);
  Atomics.notify(state, 0);
  parentPort.close();
}
parentPort.on('message', finish);
if (Atomics.load(state, 0) !== 0) finish();
else {
  db = new SQLite(workerData.file, { fileMustExist: true });
  db.pragma('busy_timeout = 1000');
  timer = setInterval(() => {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String((err && err.message) || err)); }
  }, workerData.everyMs);
}
`;

const log = new Logger('Database');

/**
 * Moves SQLite's WAL checkpoints off the event loop. A checkpoint copies the WAL into the
 * database file and syncs it; run by the committing connection (SQLite's default, every
 * 1 000 pages) it stalls every socket of the node for milliseconds to tens of milliseconds on
 * a busy disk — most of what a commit cost. Here a worker thread with its own connection
 * checkpoints in the background; the app's connection only does it past
 * {@link FOREGROUND_CHECKPOINT_PAGES}. Durability is unchanged: a commit is in the WAL either
 * way. Returns what stops the worker: it waits until the worker's connection is closed (call
 * it before closing the app's connection).
 */
export function checkpointInBackground(file: BetterSqlite3.Database, everyMs = CHECKPOINT_EVERY_MS): () => void {
  if (file.memory) return () => undefined;
  file.pragma(`wal_autocheckpoint = ${FOREGROUND_CHECKPOINT_PAGES}`);
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file: file.name, everyMs, state: state.buffer } });
  worker.unref();
  worker.on('message', (error: string) => log.warn({ msg: 'background WAL checkpoint failed', error }));
  worker.on('error', (err) => {
    Atomics.store(state, 0, 2);
    // Without the worker, the app's own connection checkpoints as SQLite does by default.
    log.warn({ msg: 'background WAL checkpoints stopped', error: err.message });
    if (file.open) file.pragma('wal_autocheckpoint = 1000');
  });
  return () => {
    // Blocks (for as long as a checkpoint in progress takes) until the worker's connection is
    // closed, so nothing touches the file once the app has closed it.
    if (Atomics.compareExchange(state, 0, 0, 1) !== 0) return;
    worker.postMessage('close');
    Atomics.wait(state, 0, 1, CLOSE_WAIT_MS);
  };
}
