// Heap per idle authenticated socket: the built API (or bare Socket.IO, the baseline) runs in
// a child process with --expose-gc; this process opens N socket.io-client sockets on loopback
// in batches (students, at most 10 per user: the product's cap), waits until the server holds
// them all, and asks it for its heapUsed after a full GC. Prints KB per socket for each server.
//
//   npm run build:api && node tools/bench/socket-heap.mjs [--sockets 10000] [--batch 250] [--only product|bare]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const SECRET = 'bench-secret-long-enough-for-anything-0123456789';
const SOCKET_OPTIONS = { path: '/socket.io', serveClient: false, pingInterval: 10_000, pingTimeout: 10_000, maxHttpBufferSize: 100_000 };
const { values } = parseArgs({
  options: { sockets: { type: 'string', default: '10000' }, batch: { type: 'string', default: '250' }, only: { type: 'string' }, snapshot: { type: 'boolean' }, serve: { type: 'string' } },
});

/** Full GCs until heapUsed settles (finalizers and weak maps need more than one). */
async function settledHeap() {
  let used = Infinity;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 50));
    global.gc();
    used = Math.min(used, process.memoryUsage().heapUsed);
  }
  return used;
}

/** The server side: starts `kind` on a free loopback port and answers the parent's questions. */
async function serve(kind) {
  let count;
  let stop;
  // The bare server checks no token.
  let issueTokens = async (users) => Array.from({ length: users }, (_, n) => `bare-${n}`);
  if (kind === 'bare') {
    const { createServer } = require('node:http');
    const { Server } = require('socket.io');
    const http = createServer();
    const io = new Server(http, SOCKET_OPTIONS);
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    process.send({ port: http.address().port });
    count = () => io.of('/').sockets.size;
    stop = () => new Promise((r) => io.close(r));
  } else {
    const dist = (path) => require(join(process.cwd(), 'dist/api', path));
    const { loadConfig } = dist('apps/api/src/config/config.js');
    const { bootstrap } = dist('apps/api/src/app.js');
    const { SocketRooms } = dist('apps/api/src/calls/socket-rooms.js');
    const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-heap-'));
    const { UsersRepository } = dist('apps/api/src/users/users.repository.js');
    const { SessionStore } = dist('apps/api/src/auth/session-store.js');
    const { AccessTokens } = dist('apps/api/src/auth/access-tokens.js');
    // Every bench socket comes from 127.0.0.1.
    const env = { ...process.env, PORT: '0', DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'error', PORTAL_DIR: join(dataDir, 'none'), MAX_CONNECTIONS_PER_ADDRESS: '1000000' };
    const { app, port } = await bootstrap(loadConfig(env));
    // A token counts only with an open sign-in session of an existing user: made here, as a sign-in would.
    issueTokens = async (users) => {
      const tokens = [];
      for (let n = 0; n < users; n++) {
        const user = await app.get(UsersRepository).create({ username: `bench${n}`, displayName: `Bench ${n}`, role: 'student', passwordHash: 'not-a-hash' });
        tokens.push(await app.get(AccessTokens).issue(user, await app.get(SessionStore).open(user.id)));
      }
      return tokens;
    };
    process.send({ port });
    const io = app.get(SocketRooms).io;
    count = () => io.of('/').sockets.size;
    stop = async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  process.on('message', async (message) => {
    if (typeof message === 'object' && 'users' in message) process.send({ tokens: await issueTokens(message.users) });
    if (message === 'heap') process.send({ heap: await settledHeap(), sockets: count() });
    if (message === 'snapshot') process.send({ file: require('node:v8').writeHeapSnapshot() });
    if (message === 'stop') {
      await stop();
      process.exit(0);
    }
  });
}

/** Client-side disconnections by reason (a loaded machine can miss heartbeats). */
const lost = new Map();

/** Opens `total` sockets to `port` in batches; resolves with them once all are connected. */
async function openSockets(port, total, batch, tokens) {
  const { io } = require('socket.io-client');
  const sockets = [];
  for (let start = 0; start < total; start += batch) {
    const opened = Array.from({ length: Math.min(batch, total - start) }, (_, n) => {
      const user = Math.floor((start + n) / 10);
      const token = tokens[user];
      const socket = io(`http://127.0.0.1:${port}`, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
      sockets.push(socket);
      socket.once('disconnect', (reason) => lost.set(reason, (lost.get(reason) ?? 0) + 1));
      return new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
    });
    await Promise.all(opened);
  }
  return sockets;
}

function ask(child, question) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send(question);
  });
}

/** Measures one server kind: KB of heap per socket. */
async function measure(kind, total, batch) {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', kind], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  try {
    const { tokens } = await ask(child, { users: Math.ceil(total / 10) });
    const before = await ask(child, 'heap');
    if (values.snapshot) console.log(`${kind}: heap snapshot before ${(await ask(child, 'snapshot')).file}`);
    const started = Date.now();
    const sockets = await openSockets(port, total, batch, tokens);
    const openedMs = Date.now() - started;
    // The product's connection handling (rooms, a query per socket) settles within this.
    await new Promise((r) => setTimeout(r, 2000));
    const after = await ask(child, 'heap');
    if (after.sockets !== total) throw new Error(`${kind}: the server holds ${after.sockets} sockets, not ${total}; lost: ${JSON.stringify([...lost])}`);
    if (values.snapshot) console.log(`${kind}: heap snapshot with the sockets ${(await ask(child, 'snapshot')).file}`);
    for (const s of sockets) s.disconnect();
    return { kind, kbPerSocket: (after.heap - before.heap) / total / 1024, openedMs };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.send('stop');
    await exited;
  }
}

if (values.serve) {
  await serve(values.serve);
} else {
  const total = Number(values.sockets);
  const batch = Number(values.batch);
  const kinds = values.only ? [values.only] : ['bare', 'product'];
  const results = [];
  for (const kind of kinds) {
    const result = await measure(kind, total, batch);
    results.push(result);
    console.log(`${kind}: ${result.kbPerSocket.toFixed(1)} KB heap per idle socket at ${total} sockets (opened in ${(result.openedMs / 1000).toFixed(1)} s)`);
  }
  const [bare, product] = results;
  if (bare && product) console.log(`product / bare: ${(product.kbPerSocket / bare.kbPerSocket).toFixed(2)}`);
  process.exit(0);
}
