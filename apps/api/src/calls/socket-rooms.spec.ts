import type { AppConfig } from '../config/config';
import type { AppSocket } from '../realtime/app-socket';
import { AGENT_SLICES, AGENTS_ROOM, agentSliceRoom, SocketRooms } from './socket-rooms';

describe('SocketRooms.joinAgents', () => {
  const rooms = new SocketRooms({ redisUrl: null } as AppConfig);

  /** A socket that keeps the rooms it joins (those it recovered with its session to begin with). */
  function socketIn(...recovered: string[]): AppSocket {
    const joined = new Set(recovered);
    return {
      rooms: joined,
      join: async (names: string[]) => names.forEach((name) => joined.add(name)),
    } as unknown as AppSocket;
  }

  const slicesOf = (socket: AppSocket) => [...socket.rooms].filter((room) => room !== AGENTS_ROOM);

  it("spreads agents' sockets evenly over the slice rooms, each in the agents' room and one slice", async () => {
    const sockets = Array.from({ length: 2 * AGENT_SLICES }, () => socketIn());
    for (const socket of sockets) await rooms.joinAgents(socket);
    for (const socket of sockets) {
      expect(socket.rooms.has(AGENTS_ROOM)).toBeTrue();
      expect(slicesOf(socket).length).toBe(1);
    }
    for (let slice = 0; slice < AGENT_SLICES; slice++) {
      expect(sockets.filter((s) => s.rooms.has(agentSliceRoom(slice))).length).withContext(`slice ${slice}`).toBe(2);
    }
  });

  it('keeps a socket that recovered its session in its slice room only, so it gets each sliced broadcast once', async () => {
    const socket = socketIn(AGENTS_ROOM, agentSliceRoom(5));
    await rooms.joinAgents(socket);
    expect(slicesOf(socket)).toEqual([agentSliceRoom(5)]);
  });
});
