import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { sql, SqliteAdapter, type Compilable, type Kysely, type OperationNodeSource, type RawBuilder, type Transaction, type Updateable } from 'kysely';
import { CALL_START_STATES, canAgentMove, canCallMove, type AgentState, type AgentStateActor, type CallEventType, type CallState } from '@switchboard/call-domain';
import { databaseErrorCode } from '../../database/database-errors';
import { InjectDatabase } from '../../database/database.module';
import { changedRows, runPrepared, runUnreadTogether, runUnreadWrite, type UnreadWrite } from '../../database/prepared-queries';
import { withDirectStatements } from '../../database/sqlite-statements';
import type { AgentPresenceRow, AgentPresenceTable, CallRow, CallsTable, Database, DeadlineRow } from '../../database/schema';
import { ProblemException } from '../../errors/problem';
import { toAgentStatus } from '../agent-status';
import { Deadlines } from '../deadlines';
import { RollupChanges } from './call-rollups';
import type { LedgerEvent } from './ledger-events';
import { LedgerOutbox } from './ledger-outbox';

/** Who an entry of a call's timeline is about or by. */
export interface EventActor {
  id: string;
  name: string;
}

/** One change of an agent's state, as the agent state machine allows it. */
export interface AgentMove {
  to: AgentState;
  by: AgentStateActor;
  /** Why, for `agent_state_changes` (e.g. "declined", "rang out", "connection lost"). */
  reason: string;
  /** The user who asked for it; null for the system. */
  byUserId?: string | null;
  /** Only if the agent is in one of these states (on top of the allowed moves). */
  onlyFrom?: readonly AgentState[];
  /** Only if the agent's current call is this one. */
  callId?: string;
  /** Only if at least one of the agent's tabs is connected. */
  requireConnected?: boolean;
  /** Only if none of the agent's tabs is connected (a move decided on their absence). */
  requireDisconnected?: boolean;
  /** Other columns to set with the move. */
  set?: Updateable<AgentPresenceTable>;
}

/**
 * Thrown inside a ledger transaction when what it read has changed under it (another tab,
 * node or deadline moved the call or the agent first): the transaction rolls back and
 * {@link CallLedger.run} runs it again. Nothing of it is stored or published.
 */
export class Superseded extends Error {
  constructor(what: string) {
    super(`superseded: ${what}`);
  }
}

/**
 * One ledger transaction: every change of a call, an agent's presence, the deadlines and the
 * timeline made through it commits together or not at all, and its events are published once
 * it has committed. Moves are checked against the domain's state machines
 * (`canCallMove`, `canAgentMove`) and made as conditional updates from the state read, so a
 * concurrent change supersedes the whole transaction instead of half of it.
 */
export class LedgerTransaction {
  /** The transaction's clock: every timestamp it writes. */
  readonly now = new Date();
  readonly nowIso = this.now.toISOString();
  private readonly lockedCalls = new Set<string>();
  /** The deadlines, set and cancelled in this transaction. */
  readonly deadlines: Deadlines;
  /** The roll-up changes of the calls this transaction ends or edits, written at its end ({@link finish}). */
  private readonly rollups = new RollupChanges();
  /** Whether other transactions run side by side and rows must be locked (PostgreSQL; SQLite has one writer). */
  private readonly rowLocks: boolean;
  /** Whether writes that go together are sent as one statement (PostgreSQL's data-modifying `with`; SQLite has none). */
  private readonly foldsWrites: boolean;
  /** Whether an ended call waits for `HistoryFiling` to enter the history's sort indexes (SQLite, migration 0029). */
  private readonly filesEndedLater: boolean;
  /** Conditional updates sent as asserted statements ({@link requireChange}), whose outcome is known only once a later statement's answer is in. */
  private asserted = 0;
  /**
   * Each agent's presence as this transaction read it, until it writes that agent's row. An
   * agent move starts from it instead of reading the row again: its update is conditional on
   * the state and connection read, so a change another transaction committed since is caught
   * there, as one committed right after a second read would be (a round trip saved in the offer).
   */
  private readonly agentsRead = new Map<string, AgentPresenceRow>();

  constructor(
    /** The open transaction, for reads and writes outside the ledger's own (held signals, callbacks). */
    readonly db: Transaction<Database>,
    private readonly events: LedgerEvent[],
    /**
     * PostgreSQL: a conditional update the transaction cannot go on without (the call as read,
     * an agent move it requires) goes out with the next statement instead of being awaited,
     * and fails the whole transaction when it changed no row ({@link supersededBy}).
     */
    private readonly assertLater = false,
  ) {
    this.deadlines = new Deadlines(db);
    const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
    this.rowLocks = !sqlite;
    this.foldsWrites = !sqlite;
    this.filesEndedLater = sqlite;
  }

  /** The call, read in this transaction. */
  async call(callId: string): Promise<CallRow | undefined> {
    return (await runPrepared(this.db, 'ledger.call', [callId], ([id]) => this.db.selectFrom('calls').selectAll().where('id', '=', id as string))).rows[0];
  }

  /** The agent's presence, read in this transaction. */
  async agent(agentId: string): Promise<AgentPresenceRow | undefined> {
    const row = (await runPrepared(this.db, 'ledger.agent', [agentId], ([id]) => this.db.selectFrom('agent_presence').selectAll().where('agent_id', '=', id as string))).rows[0];
    if (row) this.agentsRead.set(agentId, row);
    return row;
  }

  /**
   * The call, read in this transaction with the presence of its agent (the one who took it, else
   * the one it rings at), which is kept as read ({@link agentAsRead}): for a transaction that
   * moves both. On PostgreSQL one statement (a round trip fewer: the agent's row comes as JSON
   * beside the call's columns); on SQLite two.
   *
   * The agent's row is read before the call's row is locked (by its move), where a separate read
   * came after. A move of the agent is conditional on the state and connection read, so a change
   * committed in between makes a required move supersede the transaction (it runs again) and an
   * optional one change nothing or try once more on the row as it is; every change of the
   * agent's state for this call also changes the call's row, so the call's own conditional
   * update supersedes first.
   */
  async callAndAgent(callId: string): Promise<CallRow | undefined> {
    if (!this.rowLocks) {
      const call = await this.call(callId);
      const agentId = call?.agent_id ?? call?.ringing_agent_id;
      if (agentId) await this.agent(agentId);
      return call;
    }
    const { rows } = await runPrepared(this.db, 'ledger.callAndAgent', [callId], ([id]) =>
      rawStatement(
        this.db,
        sql<CallRow & { agent_row: AgentPresenceRow | null }>`select c.*, (select to_jsonb(a) from agent_presence a where a.agent_id = coalesce(c.agent_id, c.ringing_agent_id)) as agent_row
          from calls c where c.id = ${id}`,
      ),
    );
    const row = rows[0] as (CallRow & { agent_row: AgentPresenceRow | null }) | undefined;
    if (!row) return undefined;
    const { agent_row: agent, ...call } = row;
    if (agent) this.readAgent(agent);
    return call;
  }

  /**
   * The agent's presence as this transaction read it (through {@link agent} or
   * {@link readAgent}) and has not changed since, else read now. A move from it is conditional
   * on the state and connection read, so it is as safe as a fresh read.
   */
  async agentAsRead(agentId: string): Promise<AgentPresenceRow | undefined> {
    return this.agentsRead.get(agentId) ?? (await this.agent(agentId));
  }

  /** Keeps `row`, read in this transaction by another statement (e.g. routing's claim), as the agent's presence read. */
  readAgent(row: AgentPresenceRow): void {
    this.agentsRead.set(row.agent_id, row);
  }

  /**
   * Stores a new call in its direction's start state (`queued` inbound, `ringing` outbound).
   *
   * @throws ProblemException invalid_state for a call in another state
   */
  async insertCall(row: CallRow): Promise<void> {
    if (row.state !== CALL_START_STATES[row.direction]) throw new ProblemException('invalid_state', `An ${row.direction} call cannot start ${row.state}`);
    if (row.outcome !== null) throw new Error(`a call starts without an outcome (${row.id})`);
    const columns = definedEntries(row);
    await runPrepared(
      this.db,
      `ledger.insertCall:${columns.map(([c]) => c).join()}`,
      columns.map(([, v]) => v),
      (values) => this.db.insertInto('calls').values(Object.fromEntries(columns.map(([c], i) => [c, values[i]])) as never),
      UNREAD,
    );
    this.lockedCalls.add(row.id);
  }

  /**
   * Moves `call` from the state it was read in to `to` with `patch`; the row after the move.
   *
   * @throws ProblemException invalid_state when the call state machine does not allow the move
   * @throws Superseded when the call is no longer as read (or fails `where`)
   */
  async moveCall(call: CallRow, to: CallState, patch: Updateable<CallsTable>, where: Partial<Pick<CallRow, 'ringing_agent_id' | 'rings_out_at'>> = {}): Promise<CallRow> {
    if (!canCallMove(call.state, to, call.direction)) throw new ProblemException('invalid_state', `A call cannot move from ${call.state} to ${to}`);
    return this.updateCall(call, { ...patch, state: to }, where);
  }

  /**
   * Changes columns of `call` without moving it (e.g. the wrap-up saved on an ended call), if
   * it is still in the state it was read in; the row after the change.
   *
   * @throws Superseded when the call is no longer as read
   */
  async updateCall(call: CallRow, patch: Updateable<CallsTable>, where: Partial<Pick<CallRow, 'ringing_agent_id' | 'rings_out_at' | 'disposition'>> = {}): Promise<CallRow> {
    // SQLite: a call that ends goes into the history's sort indexes later, with others
    // (`HistoryFiling`, migration 0029); on PostgreSQL the flag stays 0.
    const ends = call.state !== 'ended' && patch.state === 'ended';
    // A column left undefined in the patch is not written (`definedEntries`): it keeps the value read.
    const set = definedEntries(ends && this.filesEndedLater ? { ...patch, sort_pending: 1 } : patch);
    const after = { ...call, ...Object.fromEntries(set) } as CallRow;
    // A call is over exactly when it has an outcome: the calls in progress are read as those
    // without one (migration 0028; PostgreSQL also checks it).
    if ((after.state === 'ended') !== (after.outcome !== null)) throw new Error(`a call gets its outcome in the move that ends it, and only then (call ${call.id}, ${call.state} → ${after.state})`);
    // An ended call's figures are in the roll-ups: a change to them moves its part there, from
    // exactly the values read (pinned below, so a concurrent change supersedes this one).
    const rolledUp = call.state === 'ended' || after.state === 'ended';
    const pinned: Record<string, string | number | null> = { ...where, ...(rolledUp ? pick(call, ROLLED_UP_COLUMNS) : {}) };
    const conditions = Object.entries(pinned) as [keyof CallRow, string | number | null][];
    // One statement per shape: the columns set, and which pinned columns are null.
    const key = `ledger.updateCall:${set.map(([c]) => c).join()}|${conditions.map(([c, v]) => (v === null ? `${c} null` : c)).join()}`;
    const values = [...set.map(([, v]) => v), call.id, call.state, ...conditions.flatMap(([, v]) => (v === null ? [] : [v]))];
    await this.requireChange(key, values, `call ${call.id} is no longer ${call.state}`, (params) => {
      let i = 0;
      const next = () => params[i++] as string;
      let query = this.db.updateTable('calls').set(Object.fromEntries(set.map(([c]) => [c, next()]))).where('id', '=', next()).where('state', '=', next() as CallState);
      for (const [column, value] of conditions) query = value === null ? query.where(column, 'is', null) : query.where(column, '=', next());
      return query;
    });
    this.lockedCalls.add(call.id);
    if (rolledUp && ROLLED_UP_COLUMNS.some((c) => call[c] !== after[c])) {
      this.rollups.addCall(call, -1);
      this.rollups.addCall(after, 1);
      if (call.state !== 'ended') this.rollups.addMissedOf(after);
    }
    return after;
  }

  /**
   * Moves the agent if the agent state machine allows it from their current state and the
   * move's conditions hold: the row after the move, or null (nothing changed). Recorded in
   * `agent_state_changes` and published as `agentStatusChanged`.
   */
  async moveAgent(agentId: string, move: AgentMove): Promise<AgentPresenceRow | null> {
    return this.applyAgentMove(agentId, move, false);
  }

  /** Like {@link moveAgent}, for a move the rest of the transaction depends on. @throws Superseded when it cannot be made */
  async requireAgentMove(agentId: string, move: AgentMove): Promise<AgentPresenceRow> {
    const moved = await this.applyAgentMove(agentId, move, true);
    if (!moved) throw new Superseded(`agent ${agentId} cannot move to ${move.to} now`);
    return moved;
  }

  /**
   * The move's update is conditional on the agent's state and connection as read (and call, if
   * given), so the row it publishes is the row it left. When only the connection changed since
   * the read (on PostgreSQL another transaction's tab coming or going, committed in between), a
   * move that does not depend on it is made on the row as it is now — published with the
   * connection it has (an Available published as disconnected would not be routed to).
   */
  private async applyAgentMove(agentId: string, move: AgentMove, required: boolean, again = false): Promise<AgentPresenceRow | null> {
    const row = await this.agentAsRead(agentId);
    if (!row || !canAgentMove(row.state, move.to, move.by)) return null;
    if (move.onlyFrom && !move.onlyFrom.includes(row.state)) return null;
    if (move.callId !== undefined && row.call_id !== move.callId) return null;
    if (move.requireConnected && row.connected !== 1) return null;
    if (move.requireDisconnected && row.connected !== 0) return null;
    const patch = { ...agentDefaultsFor(row.state, move.to, this.nowIso), ...move.set, state: move.to, since: this.nowIso };
    const set = definedEntries(patch);
    // The move's conditions are the update's too (the row may have been read earlier in the transaction).
    const onCall = move.callId !== undefined;
    const build = (params: readonly unknown[]) => {
      let query = this.db
        .updateTable('agent_presence')
        .set(Object.fromEntries(set.map(([c], i) => [c, params[i]])))
        .where('agent_id', '=', params[set.length] as string)
        .where('state', '=', params[set.length + 1] as AgentState);
      let i = set.length + 2;
      if (onCall) query = query.where('call_id', '=', params[i++] as string);
      return query.where('connected', '=', params[i] as number);
    };
    const key = `ledger.moveAgent:${set.map(([c]) => c).join()}|${onCall ? 'call' : ''}|connected`;
    const values = [...set.map(([, v]) => v), agentId, row.state, ...(onCall ? [move.callId] : []), row.connected];
    const what = `agent ${agentId} is no longer ${row.state}, ${row.connected ? 'connected' : 'disconnected'}`;
    const change = [randomUUID(), agentId, this.nowIso, row.state, move.to, move.reason, move.byUserId ?? null];
    // PostgreSQL: the move's `agent_state_changes` row is written by the update's own statement,
    // for the row it changed ({@link recordingAgentChange}): a statement fewer per move (~4 per
    // call setup), each of which costs the server an executor start and its protocol messages.
    // Whether the move is made, and whether a required one supersedes the transaction, is as
    // with two statements. SQLite has no data-modifying `with` (and its statements are cheap).
    const recorded = this.foldsWrites ? (params: readonly unknown[]) => recordingAgentChange(params.slice(values.length)) : null;
    const moveKey = recorded ? `${key}|recorded` : key;
    const moveValues = recorded ? [...values, ...change] : values;
    if (required) await this.requireChange(moveKey, moveValues, what, build, recorded);
    else if (changedRows(await runPrepared(this.db, moveKey, moveValues, changeAndThen(this.db, build, recorded))) === 0) {
      this.agentsRead.delete(agentId);
      if (again || move.requireConnected || move.requireDisconnected) return null;
      // Still in the state read: its connection (or call) changed, perhaps twice over. Once more
      // on the row as it is now, the move's own checks first.
      const now = await this.agent(agentId);
      return now?.state === row.state ? this.applyAgentMove(agentId, move, required, true) : null;
    }
    if (!recorded) {
      await runPrepared(this.db, 'ledger.agentStateChange', change, ([id, agent_id, at, from_state, to_state, reason, by_user_id]) =>
        this.db.insertInto('agent_state_changes').values({ id, agent_id, at, from_state, to_state, reason, by_user_id } as never),
        UNREAD,
      );
    }
    this.agentsRead.delete(agentId);
    const moved = { ...row, ...patch } as AgentPresenceRow;
    this.publish({ type: 'agentStatusChanged', status: toAgentStatus(moved), from: row.state });
    return moved;
  }

  /**
   * Moves the end of the agent's wrap-up (not a state move) if they are still in the wrap-up
   * that ends at `row.wrap_up_ends_at`; published. @throws Superseded when it changed meanwhile
   */
  async setWrapUpEnd(row: AgentPresenceRow, endsAt: string): Promise<AgentPresenceRow> {
    // The row as updated: its connection may have changed since it was read (see setAgentConnected).
    const changed = await this.db
      .updateTable('agent_presence')
      .set({ wrap_up_ends_at: endsAt })
      .where('agent_id', '=', row.agent_id)
      .where('state', '=', 'wrap_up')
      .where('wrap_up_ends_at', '=', row.wrap_up_ends_at)
      .returningAll()
      .executeTakeFirst();
    if (!changed) throw new Superseded(`agent ${row.agent_id}'s wrap-up changed`);
    this.agentsRead.delete(row.agent_id);
    this.publish({ type: 'agentStatusChanged', status: toAgentStatus(changed), from: changed.state });
    return changed;
  }

  /**
   * Marks the agent's connection (not a state move), whatever their state: when it changed,
   * the row as the update left it (null otherwise), published. Not the row read before: on
   * PostgreSQL another transaction may have moved the agent since (their tab's Available while
   * this one marked the tab connected), and the update, waiting for that one's lock, changed the
   * row as it committed — an event with the state read would tell the desk and routing Away
   * about an agent who is Available (and routing would not run).
   */
  async setAgentConnected(row: AgentPresenceRow, connected: boolean): Promise<AgentPresenceRow | null> {
    const value = connected ? 1 : 0;
    const changed = await this.db.updateTable('agent_presence').set({ connected: value }).where('agent_id', '=', row.agent_id).where('connected', '=', 1 - value).returningAll().executeTakeFirst();
    this.agentsRead.delete(row.agent_id);
    if (!changed) return null;
    this.publish({ type: 'agentStatusChanged', status: toAgentStatus(changed), from: changed.state });
    return changed;
  }

  /**
   * Deletes `row`, the deadline this transaction handles (claimed by this node), as the last
   * write of the work: the deadline and what it did are committed together. Its row lock comes
   * after the rows the work changed (a tab's connect takes the agent's row, then cancels their
   * deadlines). @throws Superseded when it was cancelled, moved or taken over since it was claimed
   */
  async completeDeadline(row: DeadlineRow): Promise<void> {
    if (!(await this.deadlines.complete(row))) throw new Superseded(`the ${row.kind} deadline of ${row.subject_id} was cancelled, moved or taken over`);
  }

  /**
   * Takes the call's row lock for the rest of the transaction (PostgreSQL; SQLite's one writer
   * needs none), so what it then reads of the call's other rows — its timeline's last number,
   * its held signals — is not raced by another node's transaction. The lock an update of the
   * row would take (`for no key update`: the inserts of its child rows, whose foreign-key checks
   * take `for key share`, are not held up), without writing a new version of the row (a dead
   * tuple, WAL, and unless the update is HOT an entry in each of the call's indexes).
   */
  async lockCall(callId: string): Promise<void> {
    if (this.lockedCalls.has(callId)) return;
    this.lockedCalls.add(callId);
    if (this.rowLocks) await runPrepared(this.db, 'ledger.lockCall', [callId], ([id]) => this.db.selectFrom('calls').select('id').where('id', '=', id as string).forNoKeyUpdate(), UNREAD);
  }

  /**
   * Appends an entry to the call's timeline, numbered after the last one (the call locked
   * first, so two nodes never take the same number), and makes the writes `alongside` (e.g. the
   * call's deadlines set or cancelled with it): on PostgreSQL all in one statement
   * (`runUnreadTogether`), so they must not write the timeline (the entry's number reads it)
   * nor depend on one another: e.g. a deadline of a kind both cancelled and set goes through
   * {@link Deadlines.replacing}, which refuses it; anything that must see another write's
   * effect is a statement of its own, before or after this.
   */
  async addEvent(callId: string, type: CallEventType, actor: EventActor | null = null, detail: string | null = null, ...alongside: UnreadWrite[]): Promise<void> {
    await this.lockCall(callId);
    const entry = [randomUUID(), callId, this.nowIso, type, actor?.id ?? null, actor?.name ?? null, detail, callId];
    await runUnreadTogether(this.db, [
      ...alongside,
      {
        key: 'ledger.addEvent',
        values: entry,
        build: ([id, call, at, kind, actorId, actorName, text, ofCall]) =>
          rawStatement(
            this.db,
            sql`insert into call_events (id, call_id, seq, at, type, actor_id, actor_name, detail)
              select cast(${id} as text), cast(${call} as text), coalesce(max(seq), 0) + 1, cast(${at} as text),
                     cast(${kind} as text), cast(${actorId} as text), cast(${actorName} as text), cast(${text} as text)
              from call_events where call_id = ${ofCall}`,
          ),
      },
    ]);
  }

  /**
   * Makes `negotiationId` the call's current media negotiation, published as
   * `negotiationStarted`, with a `timeline` entry when it says why (an ICE restart, a resumed
   * call); false if the call is over.
   */
  async startNegotiation(callId: string, negotiationId: string, timeline: { type: 'ice_restarted' | 'resumed'; actor: EventActor } | null = null): Promise<boolean> {
    const result = await runPrepared(this.db, 'ledger.startNegotiation', [negotiationId, callId, 'ended'], ([negotiation, id, ended]) =>
      this.db.updateTable('calls').set({ negotiation_id: negotiation as string }).where('id', '=', id as string).where('state', '!=', ended as CallState),
    );
    if (changedRows(result) === 0) return false;
    // Updated: the row is locked for the rest of the transaction.
    this.lockedCalls.add(callId);
    if (timeline) await this.addEvent(callId, timeline.type, timeline.actor);
    this.publish({ type: 'negotiationStarted', callId, negotiationId });
    return true;
  }

  /**
   * Writes that forget the call's held signaling of both parties (media connected or the call
   * ended): to make `alongside` a timeline entry ({@link addEvent}).
   */
  droppingSignals(callId: string): UnreadWrite[] {
    return [
      { key: 'ledger.dropSignals', values: [callId], build: ([id]) => this.db.deleteFrom('call_signals').where('call_id', '=', id as string) },
      { key: 'ledger.dropAnswerSignals', values: [callId], build: ([id]) => this.db.deleteFrom('call_answer_signals').where('call_id', '=', id as string) },
    ];
  }

  /**
   * Runs a conditional UPDATE the transaction cannot go on without. On SQLite (and unless
   * {@link assertLater}) it is awaited and throws {@link Superseded} when it changed no row. On
   * PostgreSQL it is wrapped so that changing no row is an error of the statement (a division
   * by the count of rows changed) and sent with the transaction's next statement or its
   * commit, a round trip saved: the statements after it run after it, in the order written,
   * and if it changed nothing the transaction fails there and {@link supersededBy} makes that
   * {@link Superseded}. Nothing the work does between may depend on it but further statements.
   */
  private async requireChange(
    key: string,
    values: readonly unknown[],
    what: string,
    build: (params: readonly unknown[]) => ChangeStatement,
    /** PostgreSQL: a write of the same statement for each row the update changed (see {@link changeThen}); its parameters after the update's. */
    then: ((params: readonly unknown[]) => RawBuilder<unknown>) | null = null,
  ): Promise<void> {
    if (!this.assertLater) {
      if (changedRows(await runPrepared(this.db, key, values, changeAndThen(this.db, build, then))) === 0) throw new Superseded(what);
      return;
    }
    this.asserted++;
    await runPrepared(this.db, `${key}|asserted`, values, (params) => assertingChange(this.db, build(params), then?.(params) ?? null), UNREAD);
  }

  /**
   * What `err`, which ended the work or the commit, means: {@link Superseded} when an asserted
   * update changed no row. When the work threw before a later statement carried its asserted
   * updates to the server (they are dropped with the rollback), they are sent first, so the
   * transaction fails as it would have with each update awaited.
   */
  async supersededBy(err: unknown, beforeCommit: boolean): Promise<unknown> {
    if (this.asserted === 0 || err instanceof Superseded) return err;
    if (isFailedAssertion(err)) return new Superseded('an asserted update changed no row');
    if (!beforeCommit) return err;
    try {
      await sql`select 1`.execute(this.db);
    } catch (flushed) {
      if (isFailedAssertion(flushed)) return new Superseded('an asserted update changed no row');
    }
    return err;
  }

  /**
   * Writes what the transaction kept for its end (the roll-ups' changes) with `also` (the outbox
   * row of its events and the delivered ones' deletion), nothing of it read: on PostgreSQL one
   * statement, sent with the commit. {@link CallLedger.run} calls it after the work.
   */
  async finish(also: readonly UnreadWrite[] = []): Promise<void> {
    const writes = [...this.rollups.writes(this.db), ...also];
    if (writes.length > 0) await runUnreadTogether(this.db, writes);
  }

  /** Publishes `event` once the transaction commits (in order; never if it rolls back). */
  publish(event: LedgerEvent): void {
    this.events.push(event);
  }
}

/**
 * For the ledger's writes whose results it does not read: on PostgreSQL they go out with the
 * transaction's next statement (or its commit), a round trip each saved (see `RESULT_UNREAD`).
 */
const UNREAD = { resultUnread: true } as const;

/** `statement` as a query the ledger runs (a write for `runUnreadTogether`, or a read): a Kysely raw query, compiled for `db`. */
function rawStatement(db: Kysely<Database>, statement: RawBuilder<unknown>): Compilable<unknown> & OperationNodeSource {
  return { compile: () => statement.compile(db), toOperationNode: () => statement.toOperationNode() };
}

/** A conditional update of the ledger's, as built (a Kysely query, so that it can be put inside another statement). */
type ChangeStatement = Compilable<unknown> & OperationNodeSource;

/**
 * `update` as a statement that fails (division by zero) when it changes no row; PostgreSQL
 * (a data-modifying `with`). With `then`, that write runs in the same statement for each row
 * the update changed (it reads them as `changed`). Its parameters are the update's then
 * `then`'s, in their order.
 */
function assertingChange(db: Kysely<Database>, update: ChangeStatement, then: RawBuilder<unknown> | null): Compilable<unknown> {
  const alongside = then ? sql`, followed as (${then})` : sql``;
  return { compile: () => sql`with changed as (${update} returning 1)${alongside} select 1 / count(*) from changed`.compile(db) };
}

/**
 * `update` and then `then`, a write for each row the update changed (it reads them as
 * `changed`), as one statement (PostgreSQL, a data-modifying `with`): its count is `then`'s, so
 * zero when the update changed nothing. Both see the rows as they were before the statement,
 * so `then` must not touch what the update changes. Its parameters are the update's then
 * `then`'s, in their order.
 */
function changeThen(db: Kysely<Database>, update: ChangeStatement, then: RawBuilder<unknown>): Compilable<unknown> {
  return { compile: () => sql`with changed as (${update} returning 1) ${then}`.compile(db) };
}

/** `build`'s update as a statement, with `then` in it ({@link changeThen}) when there is one. */
function changeAndThen(db: Kysely<Database>, build: (params: readonly unknown[]) => ChangeStatement, then: ((params: readonly unknown[]) => RawBuilder<unknown>) | null) {
  return (params: readonly unknown[]): Compilable<unknown> => (then ? changeThen(db, build(params), then(params)) : build(params));
}

/** An agent move's `agent_state_changes` row, inserted for each row of `changed` (the move's update, see {@link changeThen}). */
function recordingAgentChange([id, agentId, at, fromState, toState, reason, byUserId]: readonly unknown[]): RawBuilder<unknown> {
  return sql`insert into agent_state_changes (id, agent_id, at, from_state, to_state, reason, by_user_id)
    select cast(${id} as text), cast(${agentId} as text), cast(${at} as text), cast(${fromState} as text), cast(${toState} as text), cast(${reason} as text), cast(${byUserId} as text)
    from changed`;
}

/**
 * PostgreSQL rolled the transaction back to let others go on: deadlock_detected (40P01) or
 * serialization_failure (40001). Nothing of it is stored; running it again is safe.
 */
function isBrokenByServer(err: unknown): boolean {
  const code = databaseErrorCode(err);
  return code === '40P01' || code === '40001';
}

/** PostgreSQL's division_by_zero: an asserted update changed no row (the ledger's statements divide nowhere else). */
function isFailedAssertion(err: unknown): boolean {
  return databaseErrorCode(err) === '22012';
}

/** The columns of a call its roll-ups are computed from (see `call-rollups.ts`). */
const ROLLED_UP_COLUMNS = ['state', 'outcome', 'queued_at', 'queue_ms', 'talk_ms', 'wrap_up_ms'] as const satisfies readonly (keyof CallRow)[];

/** The columns of `patch` that are set (Kysely leaves out undefined ones), in its order. */
function definedEntries(patch: object): [string, unknown][] {
  return Object.entries(patch).filter(([, v]) => v !== undefined);
}

function pick<K extends keyof CallRow>(row: CallRow, columns: readonly K[]): Record<K, CallRow[K]> {
  return Object.fromEntries(columns.map((c) => [c, row[c]])) as Record<K, CallRow[K]>;
}

/** How many times a superseded ledger transaction is tried. */
export const SUPERSEDED_TRIES = 3;

/** How many units of work one SQLite transaction of the ledger takes at most. */
export const MAX_UNITS_PER_COMMIT = 64;

/** A unit of work waiting for the next grouped transaction (SQLite). */
interface QueuedUnit {
  work: (tx: LedgerTransaction) => Promise<unknown>;
  done: (value: unknown) => void;
  failed: (err: unknown) => void;
}

/** How a unit of work ended inside its transaction. */
type UnitOutcome = { ok: true; value: unknown; events: LedgerEvent[] } | { ok: false; error: unknown };

/** A grouped transaction's units' outcomes, and the outbox row holding all their events (null: none). */
interface BatchOutcome {
  outboxId: string | null;
  units: UnitOutcome[];
}

/**
 * The one place that changes a call: runs a unit of work as one database transaction over the
 * call, the agent's presence, the deadlines and the timeline (SQLite and PostgreSQL alike),
 * writes its events to `ledger_outbox` in the same transaction, and hands them to
 * {@link LedgerOutbox} after commit. The services decide *what* to do from what they read in
 * the transaction; everything that follows (routing, socket notifications, the queue feed)
 * reacts to the published events.
 *
 * On SQLite (one writer, one connection: units run one after another anyway) the units that
 * arrive while a transaction is open are group-committed: the next transaction runs each of
 * them in a savepoint of its own — rolled back alone when it fails or is superseded — and
 * commits them together. A commit writes every page the transaction changed to the WAL, and
 * the units of a burst change the same pages (the calls table and its indexes, the agents,
 * the deadlines): under load most of a call setup's SQLite time was in its commits. Nothing
 * of a unit is acknowledged or published before its transaction commits, as before. On
 * PostgreSQL each unit keeps its own transaction: units run in parallel there, and units
 * grouped behind one another's row locks could deadlock with other nodes'.
 */
@Injectable()
export class CallLedger {
  private readonly logger = new Logger('CallLedger');
  /** Units waiting for the next grouped transaction (SQLite), and the loop that commits them. */
  private readonly queued: QueuedUnit[] = [];
  private committing: Promise<void> | null = null;
  private readonly grouped: boolean;

  constructor(
    @InjectDatabase() private readonly db: Kysely<Database>,
    private readonly outbox: LedgerOutbox,
  ) {
    this.grouped = db.getExecutor().adapter instanceof SqliteAdapter;
    // The outbox rows delivered so far are deleted with the next commit of a unit (a grouped
    // transaction on SQLite), not by a statement and a commit of their own.
    outbox.deleteInTransactions();
  }

  /**
   * Runs `work` in one transaction and publishes its events after commit: its result. When it
   * is {@link Superseded}, or PostgreSQL broke a deadlock by rolling it back, it runs again on
   * what is there then (up to {@link SUPERSEDED_TRIES} times), then fails with `conflict`,
   * nothing stored or published.
   * Any other error rolls back and is rethrown. Inside `work`, read and write only through the
   * transaction: on SQLite a write on the app's own `Kysely` would wait for the transaction to
   * end, and a read there (as on PostgreSQL) sees what has committed, not the transaction's own
   * changes.
   */
  async run<T>(unitOfWork: (tx: LedgerTransaction) => Promise<T>): Promise<T> {
    if (this.grouped) {
      // Each unit writes its roll-ups' changes at its end, in its savepoint; the batch's events go in one outbox row.
      const work = async (tx: LedgerTransaction): Promise<T> => {
        const value = await unitOfWork(tx);
        await tx.finish();
        return value;
      };
      return new Promise<T>((done, failed) => {
        this.queued.push({ work, done: done as (value: unknown) => void, failed });
        this.committing ??= this.commitQueued();
      });
    }
    for (let attempt = 1; ; attempt++) {
      const events: LedgerEvent[] = [];
      const outboxId = randomUUID();
      let result: T;
      const opened: { tx?: LedgerTransaction; delivered?: string[] } = {};
      try {
        result = await this.db.transaction().execute(async (trx) => {
          const tx = (opened.tx = new LedgerTransaction(trx, events, true));
          let value: T;
          try {
            value = await unitOfWork(tx);
            const outboxWrites: UnreadWrite[] = [];
            if (events.length > 0) {
              // A unit that stores events waits for its commit anyway: the rows delivered before
              // it go with it, deleted in the statement that stores its own (a new id: not one
              // of them), which also writes the roll-ups' changes.
              const delivered = (opened.delivered = this.outbox.takeDelivered());
              outboxWrites.push(this.storingEvents(trx, outboxId, events), ...(delivered.length > 0 ? [deletingDelivered(trx, delivered)] : []));
            }
            await tx.finish(outboxWrites);
          } catch (err) {
            throw await tx.supersededBy(err, true);
          }
          return value;
        });
      } catch (thrown) {
        if (opened.delivered) this.outbox.returnDelivered(opened.delivered);
        // An asserted update that changed no row fails the statement after it, or the commit.
        const err = opened.tx ? await opened.tx.supersededBy(thrown, false) : thrown;
        // What the work read changed under it: it runs again on what is there now (and decides
        // anew: a cancel of a call that just started ringing still cancels it). So does a
        // transaction PostgreSQL chose to break a deadlock (two nodes of different versions
        // locking the roll-ups in opposite orders, see call-rollups.ts): it was rolled back whole.
        if (err instanceof Superseded || isBrokenByServer(err)) {
          // A deadlock outside a rolling upgrade means a lock order went wrong: said every time.
          if (isBrokenByServer(err)) this.logger.warn({ msg: 'transaction rolled back by PostgreSQL', code: databaseErrorCode(err), attempt, of: SUPERSEDED_TRIES });
          if (attempt < SUPERSEDED_TRIES) continue;
          throw stillRacing();
        }
        throw err;
      }
      if (events.length > 0) this.outbox.deliver(outboxId, events);
      return result;
    }
  }

  /**
   * Runs the handler of a due deadline that this node claimed (`Deadlines.claimDue`): `work` in
   * a unit that deletes the deadline after the work's writes ({@link LedgerTransaction.completeDeadline};
   * only the unit's roll-ups and events are written after it), so what the deadline did and its
   * end commit together (a node that dies between the two leaves neither). Nothing runs
   * (undefined) when the deadline is no longer as claimed — cancelled, moved or taken over; when
   * that happens while `work` runs, the unit runs again and finds it so. The unit's own cancels
   * leave the row to that deletion ({@link Deadlines.keepHandled}).
   */
  runDeadline<T>(row: DeadlineRow, work: (tx: LedgerTransaction) => Promise<T>): Promise<T | undefined> {
    return this.run(async (tx) => {
      if (!(await tx.deadlines.isClaimed(row))) return undefined;
      tx.deadlines.keepHandled(row);
      const value = await work(tx);
      await tx.completeDeadline(row);
      return value;
    });
  }

  /** Commits the queued units, up to {@link MAX_UNITS_PER_COMMIT} per transaction, while any are queued. */
  private async commitQueued(): Promise<void> {
    // Let this tick's units gather first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, MAX_UNITS_PER_COMMIT);
      try {
        this.settle(batch, await this.commitTogether(batch));
      } catch (err) {
        // The transaction itself failed (its commit, or a savepoint that could not be undone):
        // nothing of it is stored. One unit's error may have ended it (on SQLite a full disk or
        // an I/O error ends the transaction, not just the statement), so each unit runs again
        // in a transaction of its own and only what fails alone fails.
        if (batch.length === 1) {
          batch[0].failed(err);
          continue;
        }
        for (const unit of batch) {
          try {
            this.settle([unit], await this.commitTogether([unit]));
          } catch (alone) {
            unit.failed(alone);
          }
        }
      }
    }
    this.committing = null;
  }

  /**
   * Runs `batch`'s units in one transaction, each in its own savepoint, and stores the events
   * of those kept in one outbox row (in commit order: a redelivery replays them as they
   * happened); their outcomes once it committed.
   */
  private async commitTogether(batch: readonly QueuedUnit[]): Promise<BatchOutcome> {
    let delivered: string[] = [];
    try {
      return await this.db.transaction().execute((trx) =>
        withDirectStatements(trx, async () => {
          const units: UnitOutcome[] = [];
          for (const unit of batch) units.push(await this.runInSavepoint(trx, unit.work));
          const events = units.flatMap((unit) => (unit.ok ? unit.events : []));
          const outboxId = events.length > 0 ? randomUUID() : null;
          if (outboxId) await this.storeEvents(trx, outboxId, events);
          // The rows delivered before go with this commit (outside every unit's savepoint).
          delivered = this.outbox.takeDelivered();
          if (delivered.length > 0) await runUnreadWrite(trx, deletingDelivered(trx, delivered));
          return { outboxId, units };
        }),
      );
    } catch (err) {
      this.outbox.returnDelivered(delivered);
      throw err;
    }
  }

  /** In commit order, each unit's events are delivered before its caller goes on (as with a transaction of its own). */
  private settle(batch: readonly QueuedUnit[], { outboxId, units }: BatchOutcome): void {
    const delivery = outboxId ? this.outbox.deliverInTurns(outboxId) : null;
    for (const [i, outcome] of units.entries()) {
      if (!outcome.ok) {
        batch[i].failed(outcome.error);
        continue;
      }
      if (outcome.events.length > 0) delivery?.deliver(outcome.events);
      batch[i].done(outcome.value);
    }
    delivery?.end();
  }

  /** Runs one unit in a savepoint of the open transaction: kept, or undone alone (and tried again when superseded). */
  private async runInSavepoint(trx: Transaction<Database>, work: (tx: LedgerTransaction) => Promise<unknown>): Promise<UnitOutcome> {
    // Prepared like the units' own statements (runPrepared).
    const savepoint = (statement: 'savepoint' | 'release savepoint' | 'rollback to savepoint') =>
      runPrepared(trx, `ledger.${statement}`, [], () => rawStatement(trx, sql.raw(`${statement} ledger_unit`)), UNREAD);
    for (let attempt = 1; ; attempt++) {
      const events: LedgerEvent[] = [];
      await savepoint('savepoint');
      try {
        const value = await work(new LedgerTransaction(trx, events));
        await savepoint('release savepoint');
        return { ok: true, value, events };
      } catch (err) {
        await savepoint('rollback to savepoint');
        await savepoint('release savepoint');
        if (err instanceof Superseded && attempt < SUPERSEDED_TRIES) continue;
        return { ok: false, error: err instanceof Superseded ? stillRacing() : err };
      }
    }
  }

  /** Writes the events of a transaction to `ledger_outbox` (none: no row). */
  private async storeEvents(trx: Transaction<Database>, outboxId: string, events: readonly LedgerEvent[]): Promise<void> {
    if (events.length === 0) return;
    await runUnreadWrite(trx, this.storingEvents(trx, outboxId, events));
  }

  /** {@link storeEvents}' write, for one or more events. */
  private storingEvents(trx: Transaction<Database>, outboxId: string, events: readonly LedgerEvent[]): UnreadWrite {
    const now = new Date().toISOString();
    return {
      key: 'ledger.outbox',
      values: [outboxId, now, JSON.stringify(events), this.outbox.nodeId, now],
      build: ([id, created_at, json, claimed_by, claimed_at]) => trx.insertInto('ledger_outbox').values({ id, created_at, events: json, claimed_by, claimed_at } as never),
    };
  }
}

/**
 * Deletes delivered outbox rows in the transaction (with its commit): one statement for any
 * number of rows, the ids as one parameter (an array on PostgreSQL, a JSON array on SQLite).
 */
function deletingDelivered(trx: Transaction<Database>, ids: readonly string[]): UnreadWrite {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) {
    return {
      key: 'ledger.outboxDelivered',
      values: [JSON.stringify(ids)],
      build: ([json]) => trx.deleteFrom('ledger_outbox').where('id', 'in', sql<string>`(select value from json_each(${json}))`),
    };
  }
  return { key: 'ledger.outboxDelivered', values: [ids], build: ([delivered]) => trx.deleteFrom('ledger_outbox').where('id', '=', sql<string>`any(${delivered})`) };
}

/** A unit still superseded after every try: said so (a deadline keeps its row and runs again later). */
function stillRacing(): ProblemException {
  return new ProblemException('conflict', 'The call changed while this was being done; please try again');
}

/** Columns every move of an agent to `to` sets: the call link, the wrap-up end, and the idle clock. */
function agentDefaultsFor(from: AgentState, to: AgentState, now: string): Updateable<AgentPresenceTable> {
  switch (to) {
    case 'available':
      // Back from declining or a withdrawn offer: still idle since before, keeps their turn.
      return from === 'ringing' ? { call_id: null, wrap_up_ends_at: null } : { call_id: null, wrap_up_ends_at: null, idle_since: now };
    case 'ringing':
    case 'on_call':
      return { wrap_up_ends_at: null };
    case 'wrap_up':
      return {};
    default:
      return { call_id: null, wrap_up_ends_at: null };
  }
}
