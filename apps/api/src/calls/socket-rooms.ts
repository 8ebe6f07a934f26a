import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { BroadcastOperator, DefaultEventsMap } from 'socket.io';
import type { ServerToClientEvents } from '@switchboard/call-domain';
import type { SocketData } from '../auth/socket-auth';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import { PROBE_TIMEOUT_MS, withTimeout } from '../health/redis-ping';
import type { AppServer, AppSocket } from '../realtime/app-socket';

/** The commands of the Streams adapter that it sends without waiting for their answer. */
const FIRE_AND_FORGET_COMMANDS = ['publish', 'sPublish', 'set'] as const;

/**
 * Makes the adapter's fire-and-forget commands safe to lose. The Streams adapter sends a few
 * commands without awaiting them: PUBLISH for its ephemeral messages (fetchSockets, server-side
 * emits) and SET when it keeps the session of a socket that dropped (connection state
 * recovery). When Redis goes away while one of them is in flight, node-redis rejects it (e.g.
 * `read ECONNRESET`) and nobody handles the rejection, which would end the process. Each call
 * still returns the same promise (a caller that awaits it still sees the error); a rejection
 * that nobody awaits is reported to `onLost` instead. What is lost is harmless: a recovery
 * session is written again at the next disconnect, and an ephemeral request times out.
 */
export function guardFireAndForget(client: object, onLost: (command: string, err: unknown) => void): void {
  const commands = client as Record<string, unknown>;
  for (const command of FIRE_AND_FORGET_COMMANDS) {
    const send = commands[command];
    if (typeof send !== 'function') continue;
    commands[command] = (...args: unknown[]): unknown => {
      const reply = send.apply(client, args) as unknown;
      if (reply instanceof Promise) reply.catch((err: unknown) => onLost(command, err));
      return reply;
    };
  }
}

/** Where events for several sockets go. */
export type Broadcast = BroadcastOperator<ServerToClientEvents & DefaultEventsMap, SocketData>;

/** The room of every socket of one user (all their tabs, on every node). */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** The room of every supervisor's sockets. */
export const SUPERVISORS_ROOM = 'role:supervisor';

/** The room of every agent's sockets (the queue they serve). */
export const AGENTS_ROOM = 'role:agent';

/**
 * How many slice rooms the agents' sockets are spread over: a broadcast to every agent can be
 * sent one slice at a time (`QueueFeed`), each slice a few dozen socket writes at 400 agents.
 */
export const AGENT_SLICES = 16;

const AGENT_SLICE_PREFIX = `${AGENTS_ROOM}:slice:`;

/** The room of one slice (0 … {@link AGENT_SLICES} − 1) of the agents' sockets. */
export function agentSliceRoom(slice: number): string {
  return `${AGENT_SLICE_PREFIX}${slice}`;
}

/**
 * How many entries the Redis stream that carries the nodes' socket events keeps (trimmed
 * approximately). A reconnecting socket recovers what it missed only while its last event is
 * still in the stream: at a few thousand events a second this is well over a grace period.
 */
export const SOCKET_STREAM_MAX_LEN = 200_000;

/**
 * The Socket.IO server as the call services use it: rooms by user, by role and by call. With
 * REDIS_URL set, rooms span every node through `@socket.io/redis-streams-adapter`; without it,
 * one process serves everyone.
 *
 * Why the Streams adapter and not Redis pub/sub: every event a node emits is appended to one
 * Redis stream (`REDIS_ROOMS_KEY`) that every node reads from its own last position. When Redis
 * is away, a node's emits wait in its Redis client's offline queue and every reader picks up
 * where it stopped once Redis is back, so events committed by the ledger during an outage still
 * reach the sockets of the other nodes, in order (pub/sub drops whatever is published while a
 * subscriber is disconnected). The same stream is what lets a socket that reconnects within its
 * grace period recover the events it missed on any node (connection state recovery, see
 * `AuthenticatedIoAdapter`); the session of a disconnected socket is kept in Redis meanwhile.
 */
@Injectable()
export class SocketRooms implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SocketRooms');
  private server: AppServer | null = null;
  /** The slice the next agent socket joins: round robin, so each node's agents are spread evenly. */
  private nextSlice = 0;
  private redisClients: { readonly isReady: boolean; readonly isOpen: boolean; close(): Promise<unknown>; destroy(): void }[] = [];

  constructor(
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Whether rooms span several nodes (REDIS_URL set). On one node a socket joins a room at
   * once, before any later broadcast; across nodes a message another node relays may reach a
   * room before a socket's joining it does.
   */
  get spanNodes(): boolean {
    return this.config.redisUrl !== null;
  }

  /** Called by the gateway once Nest has created the server. */
  attach(server: AppServer): void {
    this.server = server;
  }

  /** Connects the Redis Streams adapter when REDIS_URL is set (before the app starts listening). */
  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    const client = createClient({ url: this.config.redisUrl });
    client.on('error', (err: unknown) => this.logger.error({ msg: 'redis error', error: String(err) }));
    guardFireAndForget(client, (command, err) => this.logger.warn({ msg: 'redis command lost', command, error: String(err) }));
    await client.connect();
    this.redisClients = [client];
    const key = this.config.calls.redisRoomsKey;
    this.io.adapter(createAdapter(client, { streamName: key, channelPrefix: key, sessionKeyPrefix: `${key}:session:`, maxLen: SOCKET_STREAM_MAX_LEN }));
    this.logger.log({ msg: 'rooms shared through Redis' });
  }

  /**
   * Closes the Redis connections, after the socket server has closed: gracefully while Redis
   * answers (what was sent is still written), at once while it is away (a graceful close would
   * wait for a reconnection that may never come, and the node would never stop).
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.redisClients.map(async (client) => {
        if (client.isReady) await withTimeout(client.close(), PROBE_TIMEOUT_MS).catch(() => undefined);
        if (client.isOpen) client.destroy();
      }),
    );
    this.redisClients = [];
  }

  /** The server. @throws Error before the gateway attached it. */
  get io(): AppServer {
    if (!this.server) throw new Error('The Socket.IO server is not ready yet');
    return this.server;
  }

  /** Every socket of one user. */
  toUser(userId: string): Broadcast {
    return this.io.to(userRoom(userId)) as Broadcast;
  }

  /** Every socket in one room (e.g. {@link callAgentRoom}). */
  to(room: string): Broadcast {
    return this.io.to(room) as Broadcast;
  }

  /** Every socket in any of `rooms`. */
  toRooms(rooms: string[]): Broadcast {
    return this.io.to(rooms) as Broadcast;
  }

  /** Puts every socket in `from` (a user's room, or one socket's id) in `room` too, on every node. */
  join(from: string, room: string): void {
    this.io.in(from).socketsJoin(room);
  }

  /** Takes every socket out of `room`, on every node. */
  empty(room: string): void {
    this.io.in(room).socketsLeave(room);
  }

  /** Every supervisor's sockets. */
  toSupervisors(): Broadcast {
    return this.io.to(SUPERVISORS_ROOM) as Broadcast;
  }

  /**
   * Puts an agent's socket in {@link AGENTS_ROOM} and in one of the agents' slice rooms. A
   * socket that recovered its session (connection state recovery) is in its slice room
   * already and stays in that one only, or it would get every sliced broadcast twice. A socket
   * leaves both rooms when it disconnects, which is how an agent's socket stops being one (a
   * sign-out, an expired or revoked token, a drained node); nothing else takes a socket out.
   */
  async joinAgents(socket: AppSocket): Promise<void> {
    const joined = [...socket.rooms].find((room) => room.startsWith(AGENT_SLICE_PREFIX));
    const slice = joined ?? agentSliceRoom(this.nextSlice++ % AGENT_SLICES);
    await socket.join([AGENTS_ROOM, slice]);
  }

  /** Every agent's sockets, one slice room each (all of them together: {@link AGENTS_ROOM}). */
  toAgentSlices(): Broadcast[] {
    return Array.from({ length: AGENT_SLICES }, (_, slice) => this.io.to(agentSliceRoom(slice)) as Broadcast);
  }

  /** Every supervisor's and agent's sockets: who watches the queue. */
  toQueueWatchers(): Broadcast {
    return this.io.to([SUPERVISORS_ROOM, AGENTS_ROOM]) as Broadcast;
  }

  /** Whether the user has a socket connected on any node. */
  isConnected(userId: string): Promise<boolean> {
    return this.isOccupied(userRoom(userId));
  }

  /** Whether any socket on any node is in `room`. */
  async isOccupied(room: string): Promise<boolean> {
    return (await this.io.in(room).fetchSockets()).length > 0;
  }

  /** The ids of every user with a socket connected on any node. */
  async connectedUserIds(): Promise<Set<string>> {
    const sockets = await this.io.fetchSockets();
    return new Set(sockets.map((s) => s.data.user.id));
  }
}
