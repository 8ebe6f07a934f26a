import type { Socket as TcpSocket } from 'node:net';
import type { Server } from 'socket.io';

/** The Engine.IO server under a Socket.IO server. */
type EngineServer = Server['engine'];

/** What is read of an Engine.IO connection: its transport, and under a WebSocket transport the `ws` socket's TCP socket. */
interface EngineConnection {
  transport?: { name?: string; socket?: { _socket?: TcpSocket } };
}

/**
 * Makes each flush of a connection's packets one write to its TCP socket. Engine.IO sends the
 * packets that queued while the previous write was in flight (under load: an ack, the events
 * of a call move, a burst of relayed candidates) as one WebSocket frame each, and each frame
 * is a `writev` system call of its own — about a tenth of the server's CPU in a call setup
 * under load. Corking the socket for the flush (the frames are written synchronously) and
 * uncorking it before the next I/O turn sends them together; nothing waits longer than the
 * current tick. Polling transports are left as they are. Engine.IO emits `flush` just before
 * it hands the packets to the transport (engine.io `Socket.flush`).
 */
export function coalesceFlushWrites(engine: EngineServer): void {
  engine.on('flush', (connection: EngineConnection) => {
    const tcp = connection.transport?.name === 'websocket' ? connection.transport.socket?._socket : undefined;
    if (!tcp || typeof tcp.cork !== 'function' || tcp.destroyed) return;
    tcp.cork();
    process.nextTick(uncork, tcp);
  });
}

function uncork(tcp: TcpSocket): void {
  tcp.uncork();
}
