import { io, type Socket } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import type { Ack, ClientToServerEvents, CreateUserRequest, LoginResponse, ServerToClientEvents } from '@switchboard/call-domain';
import { PresenceKeeper } from '../src/calls/presence-keeper.service';
import { SocketRooms } from '../src/calls/socket-rooms';
import { startTestApp, type TestApp } from '../src/testing/test-app';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../src/testing/postgres';
import { dropRedisKeys } from '../src/testing/redis';
import { call, DEMO_PASSWORD } from './support';

type EventName = keyof ServerToClientEvents;
type EventPayload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];
type Request<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type Reply<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/** Accounts every call suite seeds: three students, three agents, a supervisor. */
export const CALL_USERS: readonly CreateUserRequest[] = [
  { username: 'student', displayName: 'Sam Student', role: 'student', password: DEMO_PASSWORD },
  { username: 'student2', displayName: 'Kim Student', role: 'student', password: DEMO_PASSWORD },
  { username: 'student3', displayName: 'Lee Student', role: 'student', password: DEMO_PASSWORD },
  { username: 'agent', displayName: 'Alex Agent', role: 'agent', password: DEMO_PASSWORD },
  { username: 'agent2', displayName: 'Blake Agent', role: 'agent', password: DEMO_PASSWORD },
  { username: 'agent3', displayName: 'Casey Agent', role: 'agent', password: DEMO_PASSWORD },
  { username: 'supervisor', displayName: 'Morgan Supervisor', role: 'supervisor', password: DEMO_PASSWORD },
];

/**
 * Starts the app with `env` (call settings included, validated like any start-up) and seeds
 * {@link CALL_USERS} (unless `seed: false`, e.g. on a data dir that has them already).
 */
export async function startCallApp(env: Record<string, string> = {}, options: { seed?: boolean } = {}): Promise<TestApp> {
  const app = await startTestApp(env);
  if (options.seed ?? true) await app.seed(CALL_USERS);
  return app;
}

/** A fresh call app for each spec, and a way to open signed-in tabs on it. */
export interface CallAppPerSpec {
  /** The app of the running spec. */
  readonly app: TestApp;
  /** Opens a signed-in tab for `username`; closed after the spec. */
  connect(username: string): Promise<TestClient>;
  /** Opens another tab of the same user as `tab`; closed after the spec. */
  newTab(tab: TestClient): Promise<TestClient>;
  /** Waits until the app has handled every connection and disconnection so far (rooms and presence are up to date). */
  settled(): Promise<void>;
}

/**
 * Registers `beforeEach`/`afterEach` that start a seeded call app on `dialect` (a throw-away
 * PostgreSQL database for `postgres`) with `env`, and close its tabs, the app and the database.
 */
export function callAppPerSpec(dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}): CallAppPerSpec {
  let app: TestApp | null = null;
  let pg: TestPostgresDatabase | null = null;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    pg = dialect === 'postgres' ? await createTestPostgresDatabase() : null;
    app = await startCallApp({ ...env, ...(pg ? { DATABASE_URL: pg.url } : {}) });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await app?.close();
    await pg?.drop();
    app = pg = null;
  });
  const running = (): TestApp => {
    if (!app) throw new Error('callAppPerSpec: no spec is running');
    return app;
  };
  return {
    get app() {
      return running();
    },
    async connect(username) {
      const client = await TestClient.connect(running().url, username);
      clients.push(client);
      return client;
    },
    async newTab(tab) {
      const client = await tab.newTab(running().url);
      clients.push(client);
      return client;
    },
    settled() {
      return running().app.get(PresenceKeeper).settled();
    },
  };
}

/** One signed-in socket.io-client tab that records every event it receives. */
export class TestClient {
  private readonly received: { event: EventName; payload: unknown }[] = [];
  private readonly waiters: { event: EventName; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];

  private constructor(
    readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>,
    readonly login: LoginResponse,
  ) {
    socket.onAny((event: EventName, payload: unknown) => {
      const waiter = this.waiters.find((w) => w.event === event && w.match(payload));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(payload);
      } else {
        this.received.push({ event, payload });
      }
    });
  }

  /** Signs in over HTTP as `username` and connects a socket with the token. */
  static async connect(baseUrl: string, username: string, token?: string): Promise<TestClient> {
    const login = token
      ? ({ accessToken: token } as LoginResponse)
      : (await call<LoginResponse>(baseUrl, 'POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } })).body;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseUrl, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: login.accessToken },
    });
    const client = new TestClient(socket, login);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return client;
  }

  /** A second tab of the same user (same token). */
  async newTab(baseUrl: string): Promise<TestClient> {
    const tab = await TestClient.connect(baseUrl, '', this.login.accessToken);
    Object.assign(tab, { login: this.login });
    return tab;
  }

  /** The signed-in user's id. */
  get userId(): string {
    return this.login.user.id;
  }

  /** Sends an event and resolves with its ack. */
  send<E extends keyof ClientToServerEvents>(event: E, payload: Request<E> | unknown): Promise<Reply<E>> {
    const emitter = this.socket.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Reply<E>> };
    return emitter.emitWithAck(event, payload);
  }

  /** Sends an event and returns its data; fails the spec on an error ack. */
  async ok<E extends keyof ClientToServerEvents>(event: E, payload: Request<E>): Promise<Reply<E> extends Ack<infer T> ? T : never> {
    const reply = (await this.send(event, payload)) as Ack<unknown>;
    if (!reply.ok) throw new Error(`${event} refused: ${reply.error.code} ${reply.error.message}`);
    return reply.data as never;
  }

  /** The next `event` received (now or later) whose payload passes `match`. */
  next<E extends EventName>(event: E, match: (p: EventPayload<E>) => boolean = () => true, timeoutMs = 5000): Promise<EventPayload<E>> {
    const index = this.received.findIndex((r) => r.event === event && match(r.payload as EventPayload<E>));
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0].payload as EventPayload<E>);
    return new Promise((resolve, reject) => {
      const waiter = { event, match: match as (p: unknown) => boolean, resolve: resolve as (p: unknown) => void };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`No ${event} within ${timeoutMs} ms; received: ${this.received.map((r) => r.event).join(', ') || 'nothing'}`));
      }, timeoutMs);
    });
  }

  /** Every `event` received so far and not taken by {@link next}. */
  seen<E extends EventName>(event: E): EventPayload<E>[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as EventPayload<E>);
  }

  /** Closes the socket and waits until the server has seen it go. */
  async close(): Promise<void> {
    if (this.socket.disconnected) return;
    this.socket.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits `ms` milliseconds. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `intervalMs` until it returns a truthy value (or fails after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await pause(intervalMs);
  }
}

/** Where a spec's agent and caller connect. */
export interface CallNodes {
  agentUrl: string;
  callerUrl: string;
}

/**
 * Declares `specs` twice: on one node (embedded SQLite), then on two nodes (PostgreSQL +
 * Redis) with the agent on the first and the caller on the second.
 */
export function onOneAndTwoNodes(specs: (nodes: () => CallNodes) => void): void {
  describe('one node (embedded SQLite)', () => {
    let app: TestApp;
    beforeAll(async () => (app = await startCallApp()));
    afterEach(async () => disconnectionsHandled([app]));
    afterAll(async () => app.close());
    specs(() => ({ agentUrl: app.url, callerUrl: app.url }));
  });

  describe('two nodes (PostgreSQL + Redis), caller and agent on different nodes', () => {
    let pg: TestPostgresDatabase;
    let apps: TestApp[] = [];
    let key = '';
    beforeAll(async () => {
      pg = await createTestPostgresDatabase();
      key = `sb-test-${randomUUID()}`;
      const env = { DATABASE_URL: pg.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_ROOMS_KEY: key };
      apps = [await startCallApp(env), await startCallApp(env, { seed: false })];
    });
    afterEach(async () => disconnectionsHandled(apps));
    afterAll(async () => {
      for (const app of apps) await app.close();
      await pg.drop();
      await dropRedisKeys('redis://127.0.0.1:6379', key);
    });
    specs(() => ({ agentUrl: apps[0].url, callerUrl: apps[1].url }));
  });
}

/**
 * Waits until the tabs a spec closed are gone from every node and their disconnections are
 * handled (presence, grace periods): the next spec's tabs of the same users then connect to a
 * settled desk instead of racing the last spec's departures (on a loaded machine a close takes
 * longer than {@link TestClient.close} waits).
 */
async function disconnectionsHandled(apps: readonly TestApp[]): Promise<void> {
  for (const app of apps) {
    const rooms = app.app.get(SocketRooms);
    await eventually(async () => (await rooms.connectedUserIds()).size === 0).catch(async () => {
      throw new Error(`tabs still connected after the spec (not closed?): users ${[...(await rooms.connectedUserIds())].join(', ')}`);
    });
    await app.app.get(PresenceKeeper).settled();
  }
}
