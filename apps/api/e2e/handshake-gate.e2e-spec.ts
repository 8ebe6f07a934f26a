import { request as httpRequest } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { SocketRooms } from '../src/calls/socket-rooms';
import { eventually } from './call-clients';
import { DEMO_USERS, call, signIn } from './support';

/** Connects a Socket.IO client (`transport`, with an `Origin` header if given); resolves with 'connected' or the connect_error message. */
function connect(url: string, token: string, options: { origin?: string; transport?: 'websocket' | 'polling' } = {}): Promise<{ socket: Socket; outcome: string }> {
  const socket = io(url, {
    path: '/socket.io',
    transports: [options.transport ?? 'websocket'],
    reconnection: false,
    forceNew: true,
    auth: { token },
    extraHeaders: options.origin ? { origin: options.origin } : {},
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (err) => resolve({ socket, outcome: err.message }));
  });
}

/** An Engine.IO polling handshake with this `Origin` (or none): the status and body. */
function pollingHandshake(url: string, origin?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket upgrade that the gate admits but the WebSocket server refuses (a malformed key): resolves with its HTTP status once the server closed it. */
function brokenUpgrade(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'not-a-key' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('close', () => resolve(res.statusCode ?? 0));
    });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The Socket.IO handshake's gate and the HTTP security headers: pages of other origins are
 * refused (polling and WebSocket), a connection that does not authenticate is dropped within
 * seconds, one address holds a bounded number of connections, and every answer carries
 * helmet's headers with the Content Security Policy.
 */
describe('Handshake gate and security headers (e2e)', () => {
  let app: TestApp;
  let token: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await startTestApp({ ALLOWED_ORIGINS: 'https://portal.example.edu', MAX_CONNECTIONS_PER_ADDRESS: '6' });
    await app.seed(DEMO_USERS);
    token = (await signIn(app.url, 'agent')).accessToken;
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.disconnect()));
  afterAll(() => app.close());

  async function attempt(options: Parameters<typeof connect>[2]): Promise<string> {
    const { socket, outcome } = await connect(app.url, token, options);
    sockets.push(socket);
    return outcome;
  }

  it('sends security headers and a Content Security Policy', async () => {
    const res = await fetch(`${app.url}/api/health`);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "connect-src 'self'"]) {
      expect(csp).withContext(directive).toContain(directive);
    }
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await call(app.url, 'GET', '/api/nope')).status).toBe(404);
  });

  it('refuses a handshake from a foreign origin, over WebSocket and polling', async () => {
    expect(await attempt({ origin: 'https://evil.example' })).toBe('websocket error');
    expect(await attempt({ origin: 'https://evil.example', transport: 'polling' })).toBe('xhr poll error');
    expect(await attempt({ origin: 'null' })).toBe('websocket error');
    const refused = await pollingHandshake(app.url, 'https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('origin_not_allowed');
  });

  it('admits its own origin, a listed one, and clients that send no Origin', async () => {
    expect(await attempt({ origin: app.url })).toBe('connected');
    expect(await attempt({ origin: 'https://portal.example.edu' })).toBe('connected');
    expect(await attempt({ origin: app.url, transport: 'polling' })).toBe('connected');
    expect(await attempt({})).toBe('connected');
    expect(await attempt({ transport: 'polling' })).toBe('connected');
  });

  it('drops a connection that never authenticates within a few seconds', async () => {
    const started = Date.now();
    const raw = new WebSocket(`${app.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    raw.on('error', (err) => fail(err));
    const opened = new Promise<string>((resolve) => raw.once('message', (data: Buffer) => resolve(data.toString())));
    const closed = new Promise<number>((resolve) => raw.once('close', () => resolve(Date.now() - started)));
    expect(await opened).toMatch(/^0\{"sid"/);
    const after = await closed;
    expect(after).withContext('closed by the server').toBeGreaterThanOrEqual(4_000);
    expect(after).toBeLessThan(8_000);
  });

  it('caps the connections one address holds, and frees a place when one closes', async () => {
    // The earlier specs' connections are gone first.
    const engine = app.app.get(SocketRooms).io.engine;
    await eventually(() => Promise.resolve(engine.clientsCount === 0));
    for (let i = 0; i < 6; i++) expect(await attempt({})).withContext(`connection ${i + 1}`).toBe('connected');
    expect(await attempt({})).toBe('websocket error');
    expect((await pollingHandshake(app.url)).body).toContain('too_many_connections_from_address');
    sockets[0].disconnect();
    let outcome = '';
    for (let i = 0; i < 20 && outcome !== 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      outcome = await attempt({});
    }
    expect(outcome).toBe('connected');
  });

  it('frees the place of a WebSocket handshake that never became a connection', async () => {
    const engine = app.app.get(SocketRooms).io.engine;
    await eventually(() => Promise.resolve(engine.clientsCount === 0));
    // More than the address may hold: each was counted when admitted, and must be let go once its TCP connection closed.
    for (let i = 0; i < 7; i++) expect(await brokenUpgrade(app.url)).withContext(`upgrade ${i + 1}`).toBe(400);
    expect(await eventually(async () => (await attempt({})) === 'connected', 5_000, 200)).toBeTrue();
  });
});
