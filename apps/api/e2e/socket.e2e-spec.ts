import { JwtService } from '@nestjs/jwt';
import { io, type Socket } from 'socket.io-client';
import type { SessionUser } from '@switchboard/call-domain';
import { SocketRooms } from '../src/calls/socket-rooms';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { DEMO_USERS, signIn } from './support';

/** Connects and resolves with 'connected' or the connect_error message. */
function connect(url: string, auth?: Record<string, unknown>): Promise<{ socket: Socket; outcome: string }> {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, auth, forceNew: true });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, outcome: 'connected' }));
    socket.once('connect_error', (err) => resolve({ socket, outcome: err.message }));
  });
}

describe('Socket.IO handshake auth (e2e)', () => {
  let app: TestApp;
  let user: SessionUser;
  let token: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    await app.seed(DEMO_USERS);
    ({ user, accessToken: token } = await signIn(app.url, 'agent'));
  });
  afterEach(() => sockets.splice(0).forEach((s) => s.disconnect()));
  afterAll(() => app.close());

  async function attempt(auth?: Record<string, unknown>): Promise<string> {
    const { socket, outcome } = await connect(app.url, auth);
    sockets.push(socket);
    return outcome;
  }

  it('admits a valid token on the HTTP port and puts the user and the token expiry on socket.data', async () => {
    expect(await attempt({ token })).toBe('connected');
    const server = app.app.get(SocketRooms).io;
    const connected = await server.fetchSockets();
    expect(connected.map((s) => s.data.user)).toEqual([user]);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
    expect(connected.map((s) => s.data.expiresAt)).toEqual([exp * 1000]);
  });

  it('refuses a missing token', async () => {
    expect(await attempt()).toBe('unauthorized');
    expect(await attempt({})).toBe('unauthorized');
  });

  it('refuses a malformed token', async () => {
    expect(await attempt({ token: 'not.a.jwt' })).toBe('unauthorized');
    expect(await attempt({ token: { forged: true } })).toBe('unauthorized');
  });

  it('refuses an expired token and one signed with another secret', async () => {
    const claims = { sub: user.id, username: user.username, role: user.role, displayName: user.displayName };
    const expired = new JwtService({ secret: app.config.jwtSecret }).sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 });
    expect(await attempt({ token: expired })).toBe('unauthorized');
    expect(await attempt({ token: new JwtService({ secret: 'x'.repeat(40) }).sign(claims) })).toBe('unauthorized');
  });

  it('also guards namespaces created later', async () => {
    app.app.get(SocketRooms).io.of('/later');
    expect((await connect(`${app.url}/later`)).outcome).toBe('unauthorized');
    const ok = await connect(`${app.url}/later`, { token });
    sockets.push(ok.socket);
    expect(ok.outcome).toBe('connected');
  });

  it('drops a client whose message exceeds 100 KB', async () => {
    const { socket } = await connect(app.url, { token });
    sockets.push(socket);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    socket.emit('hangUp' as never, { callId: 'x'.repeat(150_000) });
    expect(await closed).toBe('transport close');
  });
});

describe('Socket.IO token expiry (e2e)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ ACCESS_TOKEN_TTL: '2s' });
    await app.seed(DEMO_USERS);
  });
  afterAll(() => app.close());

  it('disconnects a socket when its token expires, and refuses the same token at a new handshake', async () => {
    const { accessToken } = await signIn(app.url, 'agent');
    const { socket, outcome } = await connect(app.url, { token: accessToken });
    try {
      expect(outcome).toBe('connected');
      const { exp } = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as { exp: number };
      const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect(reason).withContext('closed by the server, so the client does not reconnect by itself').toBe('io server disconnect');
      expect(Date.now()).withContext('not before the token expired').toBeGreaterThanOrEqual(exp * 1000 - 50);
      expect(Date.now()).withContext('soon after it expired').toBeLessThan(exp * 1000 + 1000);
      expect((await app.app.get(SocketRooms).io.fetchSockets()).length).toBe(0);
      const again = await connect(app.url, { token: accessToken });
      again.socket.disconnect();
      expect(again.outcome).toBe('unauthorized');
    } finally {
      socket.disconnect();
    }
  });
});
