import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LoginResponse, ServerToClientEvents } from '@switchboard/call-domain';

/** What an event's ack said, or why none came (`lost`: the node died or the socket closed first). */
export type ChaosAck = { ok: true; data?: unknown } | { ok: false; code: string };

/** Called just before each event is sent (the run's kill trigger listens here). */
export type EmitHook = (event: keyof ClientToServerEvents, client: ChaosClient) => void;

const CONNECT_TIMEOUT_MS = 5000;
const ACK_TIMEOUT_MS = 4000;

/**
 * One signed-in user of a chaos run: a token that outlives node restarts and, at a time, one
 * socket. Handlers registered with {@link on} survive reconnections, as a portal's do.
 */
export class ChaosClient {
  private socket: Socket | null = null;
  private readonly handlers = new Map<string, ((payload: never) => void)[]>();
  private readonly pending = new Set<(ack: ChaosAck) => void>();

  private constructor(
    readonly login: LoginResponse,
    private readonly onEmit: EmitHook,
  ) {}

  /** Signs in over HTTP (the portal's `POST /api/auth/login`). */
  static async signIn(baseUrl: string, username: string, password: string, onEmit: EmitHook): Promise<ChaosClient> {
    const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (!res.ok) throw new Error(`sign-in as ${username} failed: ${res.status} ${await res.text()}`);
    return new ChaosClient((await res.json()) as LoginResponse, onEmit);
  }

  /** The user's id. */
  get id(): string {
    return this.login.user.id;
  }

  /** The user's name, for reports. */
  get username(): string {
    return this.login.user.username;
  }

  /** Whether a socket is open. */
  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Registers a handler for a server event, on this and every later socket. */
  on<E extends keyof ServerToClientEvents>(event: E, handler: (payload: Parameters<ServerToClientEvents[E]>[0]) => void): void {
    const list = this.handlers.get(event) ?? [];
    list.push(handler as (payload: never) => void);
    this.handlers.set(event, list);
  }

  /** Opens a new socket with the same token (a portal reconnecting after the server came back). */
  async connect(baseUrl: string): Promise<void> {
    this.disconnect();
    const socket = io(baseUrl, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, timeout: CONNECT_TIMEOUT_MS, auth: { token: this.login.accessToken } });
    this.socket = socket;
    socket.onAny((event: string, payload: unknown) => {
      if (this.socket !== socket) return;
      for (const handler of this.handlers.get(event) ?? []) handler(payload as never);
    });
    socket.on('disconnect', () => this.failPending());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(new Error(`${this.username} could not connect: ${err.message}`)));
    });
  }

  /** Sends an event; resolves with its ack, or `lost` / `not_connected` / `no_ack` when none came. */
  emit<E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<ChaosAck> {
    const socket = this.socket;
    if (!socket?.connected) return Promise.resolve({ ok: false, code: 'not_connected' });
    this.onEmit(event, this);
    return new Promise((resolve) => {
      const settle = (ack: ChaosAck) => {
        clearTimeout(timer);
        this.pending.delete(settle);
        resolve(ack);
      };
      const timer = setTimeout(() => settle({ ok: false, code: 'no_ack' }), ACK_TIMEOUT_MS);
      this.pending.add(settle);
      socket.emit(event, payload as never, (reply: { ok: boolean; data?: unknown; error?: { code: string } }) =>
        settle(reply.ok ? { ok: true, data: reply.data } : { ok: false, code: reply.error?.code ?? 'error' }),
      );
    });
  }

  /** Closes the socket (a closed tab); pending acks resolve as `lost`. */
  disconnect(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.removeAllListeners();
    socket?.disconnect();
    this.failPending();
  }

  private failPending(): void {
    for (const settle of [...this.pending]) settle({ ok: false, code: 'lost' });
  }
}
