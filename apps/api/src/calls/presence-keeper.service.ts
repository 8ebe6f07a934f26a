import { Injectable, Logger } from '@nestjs/common';
import { AGENT_STATE_LABELS, type AgentStatus, type SelectableAgentState, type SessionUser } from '@switchboard/call-domain';
import { ProblemException } from '../errors/problem';
import type { AppSocket } from '../realtime/app-socket';
import { AgentPresence, markAgentConnected } from './agent-presence.service';
import { toAgentStatus } from './agent-status';
import { callCallerRoom } from './call-parties';
import { CallCompletion } from './call-completion.service';
import { CallRecords } from './call-records';
import { CallRouter } from './call-router.service';
import { CallbackCalls } from './callback-calls.service';
import { CallbackRequestsService } from './callback-requests.service';
import { secondsAfter } from './deadlines';
import { CallLedger, type LedgerTransaction } from './ledger/call-ledger';
import { QueueFeed } from './queue-feed.service';
import { QueuePositions } from './queue-positions';
import { SignalRelay } from './signal-relay.service';
import { SocketRooms, SUPERVISORS_ROOM, userRoom } from './socket-rooms';
import type { AgentPresenceRow, DeadlineRow } from '../database/schema';
import type { AppConfig } from '../config/config';
import { InjectConfig } from '../config/config.module';

/**
 * Who is there: joins each socket to its rooms, tracks agents' connections across tabs and
 * nodes, gives a lost party a grace period (a `presence_grace` deadline) before signing the
 * agent out or abandoning the caller's call, and applies the agent's Available/Away choice.
 */
@Injectable()
export class PresenceKeeper {
  private readonly logger = new Logger('PresenceKeeper');
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ledger: CallLedger,
    private readonly presence: AgentPresence,
    private readonly records: CallRecords,
    private readonly router: CallRouter,
    private readonly completion: CallCompletion,
    private readonly rooms: SocketRooms,
    private readonly queueFeed: QueueFeed,
    private readonly positions: QueuePositions,
    private readonly relay: SignalRelay,
    private readonly callbacks: CallbackCalls,
    private readonly callbackRequests: CallbackRequestsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * Stops reacting to disconnections (the node is shutting down, not its users) and waits for
   * the connections and disconnections in hand, which still use the database and Redis.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.settled();
  }

  /** Resolves once every connection and disconnection handled so far (and any they led to) is done. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Runs the handling of a connection or disconnection, tracked so that {@link stop} waits for it. */
  track(handling: Promise<void>): Promise<void> {
    this.inFlight.add(handling);
    void handling.catch(() => undefined).finally(() => this.inFlight.delete(handling));
    return handling;
  }

  /**
   * A socket connected: rooms, presence, and whatever it missed (a ringing offer, the call it
   * accepted, its place in line, a supervisor's board). A caller's socket joins the rooms of
   * its calls in progress, so the agent's messages reach every tab of the caller.
   */
  async socketConnected(socket: AppSocket): Promise<void> {
    const user = socket.data.user;
    await socket.join(userRoom(user.id));
    if (user.role === 'supervisor') await socket.join(SUPERVISORS_ROOM);
    if (user.role === 'agent') {
      await this.rooms.joinAgents(socket);
      await this.queueFeed.sendTo(socket);
      const row = await this.presence.connect(user);
      if (row.state === 'ringing' && row.call_id) await this.router.resendOffer(socket, row.call_id);
      if (row.state === 'on_call' && row.call_id) await this.router.rejoinCall(socket, row.call_id);
    } else if (user.role === 'student') {
      await this.ledger.run((tx) => tx.deadlines.cancel(user.id, 'presence_grace'));
      const all = await this.records.activeOfCaller(user.id);
      const calls = all.filter((c) => c.direction === 'inbound');
      for (const call of calls) await socket.join(callCallerRoom(call.id));
      for (const call of all) if (call.direction === 'outbound') await this.callbacks.rejoin(socket, call);
      await this.callbackRequests.studentPresenceChanged(user.id);
      await this.positions.sendTo(socket, calls.map((c) => c.id));
      // A socket that came back as itself got what it missed (connection state recovery); a new
      // one (not recovered: e.g. its node restarted) is told its call was accepted and gets the
      // agent's held answer and candidates again (the portal's inbox drops repeats).
      if (!socket.recovered) {
        for (const call of calls) {
          if (call.state !== 'accepted' || !call.agent_id) continue;
          socket.emit('callAccepted', { callId: call.id, agent: { id: call.agent_id, displayName: call.agent_name ?? '' } });
          await this.relay.resendAnswerHeld(call.id, this.rooms.to(socket.id));
        }
      }
    } else {
      for (const status of await this.presence.all()) socket.emit('agentStatusChanged', status);
      await this.queueFeed.sendTo(socket);
    }
  }

  /**
   * A socket left: if it was the user's last one on any node, their grace period starts. When
   * the other nodes cannot be asked (Redis away, a node just died), it starts all the same: its
   * end looks again, and a user still connected somewhere is left as they are.
   */
  async socketDisconnected(socket: AppSocket): Promise<void> {
    const user = socket.data.user;
    if (this.stopping || !user || (await this.rooms.isConnected(user.id).catch(() => false))) return;
    const now = new Date();
    if (user.role === 'agent') {
      if (await this.presence.disconnect(user.id)) {
        // A new tab (e.g. the reloaded page) may have connected while this ran: undo, or it would sit
        // disconnected with a live socket and never be offered a call.
        if (await this.rooms.isConnected(user.id)) await this.presence.markConnected(user.id);
      }
    } else if (user.role === 'student') {
      if ((await this.records.activeOfCaller(user.id)).length > 0) {
        await this.ledger.run((tx) => tx.deadlines.schedule('presence_grace', user.id, secondsAfter(now, this.config.calls.callerGraceSeconds)));
      }
      await this.callbackRequests.studentPresenceChanged(user.id);
    }
  }

  /**
   * Deadline: the grace period `grace` stood for ended. Back by now: nothing to do. Otherwise,
   * in one ledger transaction: a ringing call goes to the next agent, a call in progress ends
   * (disconnected), a waiting caller's call is abandoned, and the agent is Offline.
   *
   * Only if `grace` (claimed by this node) is still the deadline as claimed, at the read and at
   * the commit ({@link CallLedger.runDeadline}): a tab that came back cancelled it, and leaving
   * again started a new grace period (a new or moved row) that ends later — this one ended
   * nothing. Its deletion is the last write of the unit's work, after the agent's row; found
   * gone there, the unit runs again and finds it gone at the read. Either way, once this
   * returns (without a `conflict`), the row as claimed is gone (deleted, cancelled or moved),
   * back or not.
   */
  async graceEnded(grace: DeadlineRow): Promise<void> {
    const userId = grace.subject_id;
    if (await this.rooms.isConnected(userId)) {
      // Back (or never gone: a disconnect raced a new tab): make sure presence says so. Only
      // while this grace period stands: if the tab left since (a new grace period, the row
      // moved), the user is gone again and this one ends nothing.
      await this.ledger.runDeadline(grace, (tx) => markAgentConnected(tx, userId));
      return;
    }
    await this.ledger.runDeadline(grace, async (tx) => {
      for (const call of await this.records.activeOfCaller(userId, tx.db)) {
        const waiting = call.state === 'queued' || call.state === 'ringing';
        await this.completion.endCall(tx, call, waiting ? 'caller_left' : 'disconnected', 'caller', null);
      }
      const agent = await tx.agent(userId);
      if (agent && agent.connected === 0 && agent.state !== 'offline') await this.signOutAgentGone(tx, agent);
    });
  }

  /** The agent's last tab has been gone for their grace period: their call is withdrawn or ended, their wrap-up closed, and they are Offline. */
  private async signOutAgentGone(tx: LedgerTransaction, agent: AgentPresenceRow): Promise<void> {
    const userId = agent.agent_id;
    const call = agent.call_id ? await tx.call(agent.call_id) : undefined;
    if (call && agent.state === 'ringing' && call.state === 'ringing' && call.ringing_agent_id === userId) await this.router.withdrawFromLostAgent(tx, call, userId, agent.display_name);
    if (call && agent.state === 'on_call' && call.agent_id === userId && call.state !== 'ended') await this.completion.endCall(tx, call, 'disconnected', 'agent', null);
    const now = await tx.agent(userId);
    if (now?.state === 'wrap_up' && now.call_id) await this.completion.closeWrapUp(tx, now.call_id, 'agent signed out by connection loss');
    // Only if still gone: a tab that connected since the read (on PostgreSQL, another node's)
    // supersedes the whole unit, calls ended above included; run again, it finds them back.
    await tx.requireAgentMove(userId, { to: 'offline', by: 'system', reason: 'connection lost', requireDisconnected: true });
    await tx.deadlines.cancel(userId, 'wrap_up_end');
  }

  /**
   * At start-up: parties the database thinks connected but who have no socket on any node
   * (e.g. this node restarted) get their grace period, so they can reconnect.
   */
  async reconcile(): Promise<void> {
    const live = await this.rooms.connectedUserIds();
    const now = new Date();
    for (const agentId of await this.presence.markedConnected()) {
      if (!live.has(agentId)) await this.presence.disconnectFound(agentId);
    }
    for (const call of await this.records.active()) {
      if (!live.has(call.caller_id)) await this.ledger.run((tx) => tx.deadlines.scheduleIfAbsent('presence_grace', call.caller_id, secondsAfter(now, this.config.calls.callerGraceSeconds)));
    }
    this.logger.log({ msg: 'presence reconciled', liveUsers: live.size });
  }

  /** The agent picks Available (also the way back from Missed) or Away. */
  async setAvailability(agent: SessionUser, state: SelectableAgentState): Promise<AgentStatus> {
    const row = (await this.presence.get(agent.id)) ?? (await this.presence.connect(agent));
    if (row.state === state) return toAgentStatus(row);
    const moved = await this.presence.move(agent.id, { to: state, by: 'agent', reason: `chose ${AGENT_STATE_LABELS[state]}`, byUserId: agent.id });
    if (!moved) {
      throw new ProblemException('invalid_state', `You cannot switch to ${AGENT_STATE_LABELS[state]} while ${AGENT_STATE_LABELS[row.state]}`);
    }
    return toAgentStatus(moved);
  }
}
