import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { InjectDatabase } from '../database/database.module';
import type { Database } from '../database/schema';
import type { AppSocket } from '../realtime/app-socket';
import { SocketRooms } from './socket-rooms';

/**
 * Who holds each side of a call's media: the one socket in that side's room (the tab that
 * placed or accepted the call, or the page that took it up again). A page takes a side up only
 * while no other socket holds it, and two pages of the same user that try at the same moment —
 * a browser restoring its tabs, each tab on another node — must not both win: the room alone
 * cannot decide that (asking who is in it and joining are two steps across nodes), so a taking-up
 * is also a compare-and-set on `call_media_holders`, which the database decides once.
 */
@Injectable()
export class CallMediaHolders {
  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly rooms: SocketRooms,
  ) {}

  /**
   * Puts `socket` in `room`, one side of `callId`'s media, unless another socket holds that
   * side; whether `socket` holds it now.
   */
  async take(socket: AppSocket, callId: string, room: string): Promise<boolean> {
    if (socket.rooms.has(room)) return true;
    const previous = await this.lastTaker(callId, room);
    if (await this.heldByOther(socket, room, previous)) return false;
    // A claim that lost may have lost to this very socket: its taking-up as it connected and its
    // `resumeCall` can run side by side (the other one has not joined the room yet).
    if (!(await this.claim(callId, room, previous, socket.id)) && (await this.lastTaker(callId, room)) !== socket.id) return false;
    await socket.join(room);
    return true;
  }

  /** Whether a socket other than `socket` holds `room`, one side of `callId`'s media. */
  async heldElsewhere(socket: AppSocket, callId: string, room: string): Promise<boolean> {
    return this.heldByOther(socket, room, await this.lastTaker(callId, room));
  }

  private async lastTaker(callId: string, room: string): Promise<string | null> {
    const row = await this.db.selectFrom('call_media_holders').select('socket_id').where('call_id', '=', callId).where('room', '=', room).executeTakeFirst();
    return row?.socket_id ?? null;
  }

  /** Another socket is in the room, or took it up last and is still connected (it may not have joined yet). */
  private async heldByOther(socket: AppSocket, room: string, lastTaker: string | null): Promise<boolean> {
    if (lastTaker !== null && lastTaker !== socket.id && (await this.rooms.isOccupied(lastTaker))) return true;
    return (await this.rooms.io.in(room).fetchSockets()).some((s) => s.id !== socket.id);
  }

  /** Replaces `previous` (null: nobody took it up yet) with `socketId`; false when another socket got there first. */
  private async claim(callId: string, room: string, previous: string | null, socketId: string): Promise<boolean> {
    if (previous === null) {
      const inserted = await this.db
        .insertInto('call_media_holders')
        .values({ call_id: callId, room, socket_id: socketId })
        .onConflict((oc) => oc.columns(['call_id', 'room']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const updated = await this.db
      .updateTable('call_media_holders')
      .set({ socket_id: socketId })
      .where('call_id', '=', callId)
      .where('room', '=', room)
      .where('socket_id', '=', previous)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }
}
