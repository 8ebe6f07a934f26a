import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { BroadcastOperator, DefaultEventsMap } from 'socket.io';
import type { ServerToClientEvents } from '@switchboard/call-domain';
import type { SocketData } from '../auth/socket-auth';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';
import type { AppServer } from '../realtime/app-socket';

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
 * The Socket.IO server as the call services use it: rooms by user, by role and by call. With
 * REDIS_URL set, rooms span every node through `@socket.io/redis-adapter`; without it, one
 * process serves everyone.
 */
@Injectable()
export class SocketRooms implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SocketRooms');
  private server: AppServer | null = null;
  private redisClients: { quit(): Promise<unknown> }[] = [];

  constructor(
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Called by the gateway once Nest has created the server. */
  attach(server: AppServer): void {
    this.server = server;
  }

  /** Connects the Redis adapter when REDIS_URL is set (before the app starts listening). */
  async onModuleInit(): Promise<void> {
    if (!this.config.redisUrl) return;
    const pub = createClient({ url: this.config.redisUrl });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) client.on('error', (err: unknown) => this.logger.error({ msg: 'redis error', error: String(err) }));
    await Promise.all([pub.connect(), sub.connect()]);
    this.redisClients = [pub, sub];
    this.io.adapter(createAdapter(pub, sub, { key: this.config.calls.redisRoomsKey }));
    this.logger.log({ msg: 'rooms shared through Redis' });
  }

  /** Closes the Redis connections, after the socket server has closed. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.redisClients.map((c) => c.quit().catch(() => undefined)));
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
