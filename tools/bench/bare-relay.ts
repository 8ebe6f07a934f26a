// The gateway benchmark's baseline: a bare Socket.IO 4.8 server speaking the product's call
// protocol (events and ack shapes of libs/call-domain/core/src/protocol.ts) with the least
// work it takes — no framework, no database, no validation beyond what routing needs, state
// in memory. It checks the product's JWTs (HS256, same secret) at the handshake, so the two
// servers are driven by the very same clients and tokens.
//
//   BARE_SECRET=… node dist/portal-e2e/tools/bench/bare-relay.js   (port 0; reports it over IPC)
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type {
  Ack,
  AgentState,
  AgentStatus,
  CandidateMessage,
  ClientToServerEvents,
  OfferMessage,
  ServerToClientEvents,
  SessionUser,
} from '@switchboard/call-domain';

type BareSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { user: SessionUser }>;

interface BareAgent {
  user: SessionUser;
  state: AgentState;
  since: string;
  callId: string | null;
}

interface BareCall {
  id: string;
  caller: SessionUser;
  agentId: string | null;
  accepted: boolean;
  offer: OfferMessage | null;
  candidates: CandidateMessage[];
}

const secret = process.env['BARE_SECRET'] ?? '';
const agents = new Map<string, BareAgent>();
/** Available agents, longest idle first (Map keeps insertion order). */
const idle = new Map<string, BareAgent>();
const calls = new Map<string, BareCall>();
const queue: BareCall[] = [];
const ok: Ack = { ok: true, data: undefined };
const refuse = (code: 'not_found' | 'conflict' | 'forbidden', message: string): Ack<never> => ({ ok: false, error: { code, message } });

/** The user of an HS256 JWT signed with {@link secret}, or null. */
function verifyToken(token: unknown): SessionUser | null {
  if (typeof token !== 'string') return null;
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string; username: string; role: SessionUser['role']; displayName: string; exp?: number };
  if (claims.exp !== undefined && claims.exp * 1000 < Date.now()) return null;
  return { id: claims.sub, username: claims.username, role: claims.role, displayName: claims.displayName };
}

function status(agent: BareAgent): AgentStatus {
  return { agentId: agent.user.id, displayName: agent.user.displayName, state: agent.state, since: agent.since, connected: true, callId: agent.callId, wrapUpEndsAt: null };
}

function setState(agent: BareAgent, state: AgentState, callId: string | null): void {
  agent.state = state;
  agent.since = new Date().toISOString();
  agent.callId = callId;
  idle.delete(agent.user.id);
  if (state === 'available') idle.set(agent.user.id, agent);
}

function main(): void {
  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { user: SessionUser }>(http, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 100_000,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  const toUser = (id: string) => io.to(`user:${id}`);

  /** Offers waiting calls to the longest-idle available agents. */
  const dispatch = () => {
    while (queue.length > 0 && idle.size > 0) {
      const call = queue.shift() as BareCall;
      const agent = idle.values().next().value as BareAgent;
      setState(agent, 'ringing', call.id);
      call.agentId = agent.user.id;
      const room = toUser(agent.user.id);
      room.emit('callOffered', { callId: call.id, caller: { id: call.caller.id, displayName: call.caller.displayName }, ringsOutAt: new Date(Date.now() + 20_000).toISOString() });
      if (call.offer) room.emit('offerRelayed', call.offer);
      for (const candidate of call.candidates) room.emit('candidateRelayed', candidate);
    }
  };

  const end = (call: BareCall, endedBy: 'caller' | 'agent') => {
    calls.delete(call.id);
    const at = queue.indexOf(call);
    if (at >= 0) queue.splice(at, 1);
    const ended = { callId: call.id, outcome: call.accepted ? 'answered' : 'abandoned', endedBy, reason: call.accepted ? 'hung_up' : 'cancelled' } as const;
    toUser(call.caller.id).emit('callEnded', ended);
    const agent = call.agentId ? agents.get(call.agentId) : undefined;
    if (!agent) return;
    toUser(agent.user.id).emit('callEnded', ended);
    setState(agent, call.accepted ? 'wrap_up' : 'available', call.accepted ? call.id : null);
    dispatch();
  };

  io.use((socket, next) => {
    const user = verifyToken((socket.handshake.auth as { token?: unknown }).token);
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = user;
    next();
  });

  io.on('connection', (socket: BareSocket) => {
    const user = socket.data.user;
    void socket.join(`user:${user.id}`);
    if (user.role === 'agent' && !agents.has(user.id)) agents.set(user.id, { user, state: 'offline', since: new Date().toISOString(), callId: null });
    const callOf = (callId: string) => calls.get(callId);

    socket.on('requestCall', (_payload, ack) => {
      const call: BareCall = { id: randomUUID(), caller: user, agentId: null, accepted: false, offer: null, candidates: [] };
      calls.set(call.id, call);
      queue.push(call);
      ack({ ok: true, data: { callId: call.id, position: queue.length, estimatedWaitSeconds: null } });
      dispatch();
    });
    socket.on('setAvailability', ({ state }, ack) => {
      const agent = agents.get(user.id);
      if (!agent) return ack(refuse('forbidden', 'Only agents may do this'));
      setState(agent, state, null);
      ack({ ok: true, data: status(agent) });
      dispatch();
    });
    socket.on('sendOffer', (message, ack) => {
      const call = callOf(message.callId);
      if (call?.caller.id !== user.id) return ack(refuse('not_found', 'No such call'));
      call.offer = message;
      call.candidates = [];
      if (call.agentId) toUser(call.agentId).emit('offerRelayed', message);
      ack(ok);
    });
    socket.on('sendCandidate', (message, ack) => {
      const call = callOf(message.callId);
      if (!call) return ack(refuse('not_found', 'No such call'));
      if (call.caller.id === user.id) {
        if (call.candidates.length < 64) call.candidates.push(message);
        if (call.agentId) toUser(call.agentId).emit('candidateRelayed', message);
      } else if (call.agentId === user.id) {
        toUser(call.caller.id).emit('candidateRelayed', message);
      } else return ack(refuse('forbidden', 'Not a party of this call'));
      ack(ok);
    });
    socket.on('acceptCall', ({ callId }, ack) => {
      const call = callOf(callId);
      const agent = agents.get(user.id);
      if (!call || !agent || call.agentId !== user.id || call.accepted) return ack(refuse('conflict', 'This call is not ringing for you'));
      call.accepted = true;
      setState(agent, 'on_call', callId);
      ack({ ok: true, data: { callId, caller: { id: call.caller.id, displayName: call.caller.displayName }, ringsOutAt: new Date().toISOString() } });
      toUser(call.caller.id).emit('callAccepted', { callId, agent: { id: user.id, displayName: user.displayName } });
    });
    socket.on('sendAnswer', (message, ack) => {
      const call = callOf(message.callId);
      if (call?.agentId !== user.id || !call.accepted) return ack(refuse('not_found', 'No such call'));
      toUser(call.caller.id).emit('answerRelayed', message);
      ack(ok);
    });
    socket.on('declineCall', ({ callId }, ack) => {
      const call = callOf(callId);
      const agent = agents.get(user.id);
      if (!call || !agent || call.agentId !== user.id || call.accepted) return ack(refuse('conflict', 'This call is not ringing for you'));
      call.agentId = null;
      queue.unshift(call);
      setState(agent, 'available', null);
      toUser(call.caller.id).emit('callDeclined', { callId });
      ack(ok);
      dispatch();
    });
    socket.on('reportMedia', ({ callId }, ack) => ack(callOf(callId) ? ok : refuse('not_found', 'No such call')));
    socket.on('cancelCall', ({ callId }, ack) => {
      const call = callOf(callId);
      if (call?.caller.id !== user.id) return ack(refuse('not_found', 'No such call'));
      end(call, 'caller');
      ack(ok);
    });
    socket.on('hangUp', ({ callId }, ack) => {
      const call = callOf(callId);
      if (!call || (call.caller.id !== user.id && call.agentId !== user.id)) return ack(refuse('not_found', 'No such call'));
      end(call, call.caller.id === user.id ? 'caller' : 'agent');
      ack(ok);
    });
    socket.on('completeWrapUp', (_wrapUp, ack) => {
      const agent = agents.get(user.id);
      if (agent?.state !== 'wrap_up') return ack(refuse('conflict', 'Not in wrap-up'));
      setState(agent, 'available', null);
      toUser(user.id).emit('agentStatusChanged', status(agent));
      ack(ok);
      dispatch();
    });
    socket.on('requestCallback', (_request, ack) => ack({ ok: true, data: { callbackId: randomUUID() } }));
  });

  http.listen(0, '127.0.0.1', () => {
    const address = http.address();
    process.send?.({ listening: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('SIGTERM', () => {
    void io.close();
    process.exit(0);
  });
}

main();
