import SQLite from 'better-sqlite3';
import { Client } from 'pg';
import { bucketOf, dayOf, waitSecondsOf } from '../../src/calls/ledger/call-rollups';
import type { AgentPresenceRow, AgentStateChangesTable, CallRow, DeadlineKind, DeadlineRow } from '../../src/database/schema';

/** The call facts of one consistent read of the database. */
export interface LedgerSnapshot {
  /** When it was read (ms since the epoch). */
  readAt: number;
  calls: CallRow[];
  presence: AgentPresenceRow[];
  deadlines: DeadlineRow[];
  /** How many `ended` entries each call's timeline has. */
  endedEvents: Map<string, number>;
  stateChanges: Pick<AgentStateChangesTable, 'agent_id' | 'at' | 'from_state' | 'to_state' | 'reason'>[];
  /** The metrics roll-ups as stored: `kind|key` → the row's sums, comma-separated (rows of all zeros left out). */
  rollups: Map<string, string>;
}

/** Reads snapshots straight from the database the API writes (read-only on SQLite). */
export interface LedgerReader {
  read(): Promise<LedgerSnapshot>;
  /**
   * Waits until a killed node's statements are over: PostgreSQL finishes (and commits) a
   * statement it received even when its client died, so the state a kill left is final only
   * once the dead node's connections are gone. SQLite ran in the dead process: nothing to wait for.
   */
  untilWritersGone(): Promise<void>;
  close(): Promise<void>;
}

const WRITERS_GONE_TIMEOUT_MS = 10_000;

const QUERIES = {
  calls: 'select * from calls',
  presence: 'select * from agent_presence',
  deadlines: 'select * from deadlines',
  endedEvents: "select call_id, count(*) as n from call_events where type = 'ended' group by call_id",
  stateChanges: 'select agent_id, at, from_state, to_state, reason from agent_state_changes order by at, id',
  callRollups: 'select bucket_start, outcome, calls, queue_ms, handled, handle_ms from call_rollups',
  waitRollups: 'select day, outcome, wait_s, calls from call_wait_rollups',
} as const;

type Sums = Record<string, number[]>;

function addTo(sums: Sums, key: string, values: number[]): void {
  const sum = (sums[key] ??= values.map(() => 0));
  values.forEach((v, i) => (sum[i] += v));
}

function nonZero(sums: Sums): Map<string, string> {
  return new Map(Object.entries(sums).filter(([, v]) => v.some((x) => x !== 0)).map(([k, v]) => [k, v.join(',')]));
}

/** What the roll-ups must hold for `calls` (see `call-rollups.ts`): the sums over the ended ones. */
export function expectedRollups(calls: readonly CallRow[]): Map<string, string> {
  const sums: Sums = {};
  for (const c of calls) {
    if (c.state !== 'ended' || c.outcome === null || c.direction === 'outbound') continue;
    const queued = Date.parse(c.queued_at);
    const handled = c.talk_ms === null ? 0 : 1;
    addTo(sums, `call|${bucketOf(queued)}|${c.outcome}`, [1, Number(c.queue_ms ?? 0), handled, handled * (Number(c.talk_ms ?? 0) + Number(c.wrap_up_ms ?? 0))]);
    if (['answered', 'abandoned', 'short_abandon'].includes(c.outcome)) addTo(sums, `wait|${dayOf(queued)}|${c.outcome}|${waitSecondsOf(c.queue_ms)}`, [1]);
  }
  return nonZero(sums);
}

function snapshotOf(rows: Record<keyof typeof QUERIES, unknown[]>): LedgerSnapshot {
  const ended = rows.endedEvents as { call_id: string; n: number | string }[];
  return {
    readAt: Date.now(),
    calls: rows.calls as CallRow[],
    presence: (rows.presence as AgentPresenceRow[]).map((r) => ({ ...r, connected: Number(r.connected) })),
    deadlines: rows.deadlines as DeadlineRow[],
    endedEvents: new Map(ended.map((r) => [r.call_id, Number(r.n)])),
    stateChanges: rows.stateChanges as LedgerSnapshot['stateChanges'],
    rollups: nonZero(
      Object.fromEntries([
        ...(rows.callRollups as Record<string, string | number>[]).map((r) => [`call|${r['bucket_start']}|${r['outcome']}`, [r['calls'], r['queue_ms'], r['handled'], r['handle_ms']].map(Number)]),
        ...(rows.waitRollups as Record<string, string | number>[]).map((r) => [`wait|${r['day']}|${r['outcome']}|${r['wait_s']}`, [Number(r['calls'])]]),
      ]),
    ),
  };
}

/** Opens a reader on the SQLite file (read-only) or the PostgreSQL database. */
export async function openLedgerReader(database: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string }): Promise<LedgerReader> {
  if (database.dialect === 'sqlite') {
    let file: SQLite.Database | null = null;
    return {
      // Opened lazily: the API creates the file on its first start.
      read: async () => {
        file ??= new SQLite(database.file, { readonly: true, fileMustExist: true });
        const open = file;
        return open.transaction(() => snapshotOf(mapValues((q) => open.prepare(q).all())))();
      },
      untilWritersGone: async () => undefined,
      close: async () => void file?.close(),
    };
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  return {
    read: async () => {
      await client.query('begin isolation level repeatable read read only');
      try {
        const rows: Partial<Record<keyof typeof QUERIES, unknown[]>> = {};
        for (const [name, query] of Object.entries(QUERIES)) rows[name as keyof typeof QUERIES] = (await client.query(query)).rows;
        return snapshotOf(rows as Record<keyof typeof QUERIES, unknown[]>);
      } finally {
        await client.query('commit');
      }
    },
    untilWritersGone: async () => {
      const deadline = Date.now() + WRITERS_GONE_TIMEOUT_MS;
      const others = 'select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()';
      while (Number((await client.query<{ n: string }>(others)).rows[0].n) > 0) {
        if (Date.now() > deadline) throw new Error(`the killed node's PostgreSQL connections were still open after ${WRITERS_GONE_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => client.end(),
  };
}

function mapValues(read: (query: string) => unknown[]): Record<keyof typeof QUERIES, unknown[]> {
  return Object.fromEntries(Object.entries(QUERIES).map(([name, query]) => [name, read(query)])) as Record<keyof typeof QUERIES, unknown[]>;
}

/** Agent states that belong to one call and must be moved on by it or by a deadline. */
const BUSY = new Set(['ringing', 'on_call', 'wrap_up']);

/**
 * Whether nothing is left to happen: every call ended, no agent busy, no deadline pending
 * (besides calls, agents and deadlines already reported stuck, named in `stuck`).
 */
export function isSettled(s: LedgerSnapshot, stuck: ReadonlySet<string> = new Set()): boolean {
  return (
    s.calls.every((c) => c.state === 'ended' || stuck.has(c.id)) &&
    s.presence.every((a) => !BUSY.has(a.state) || stuck.has(a.agent_id)) &&
    s.deadlines.every((d) => stuck.has(d.subject_id) || stuck.has(`${d.kind}:${d.subject_id}`))
  );
}

/** A broken promise of the call server, found in a snapshot. */
export interface Violation {
  kind:
    | 'not exactly one outcome'
    | 'timeline disagrees with call'
    | 'lost deadline'
    | 'deadline not run'
    | 'call never ended'
    | 'agent busy without a live call'
    | 'call without its agent'
    | 'acked wrap-up not stored'
    | 'acked wrap-up left agent in wrap-up'
    | 'roll-ups disagree with calls';
  /** The call or agent it is about. */
  subject: string;
  detail: string;
}

/** A `completeWrapUp` the API acknowledged with ok. */
export interface AckedWrapUp {
  callId: string;
  agentId: string;
  disposition: string;
  /** When the ack arrived (ms since the epoch). */
  ackedAt: number;
}

/** How long past due a deadline may sit before it counts as not run (a dead node's claim goes stale at 15 s). */
const OVERDUE_MS = 20_000;

/**
 * Every broken promise in a snapshot taken after the restarted node had time to run its due
 * deadlines (`settled` false: the bounded wait ran out, so whatever is still open is stuck).
 */
export function findViolations(s: LedgerSnapshot, acked: readonly AckedWrapUp[], settled: boolean): Violation[] {
  const found: Violation[] = [];
  const add = (kind: Violation['kind'], subject: string, detail: string) => found.push({ kind, subject, detail });
  const calls = new Map(s.calls.map((c) => [c.id, c]));
  const agents = new Map(s.presence.map((a) => [a.agent_id, a]));
  const deadline = (kind: DeadlineKind, subject: string) => s.deadlines.find((d) => d.kind === kind && d.subject_id === subject);
  const describe = (c: CallRow) => `call ${c.id} ${c.state} (queued ${c.queued_at}, agent ${c.agent_id ?? c.ringing_agent_id ?? '-'})`;

  for (const c of s.calls) {
    const ended = c.state === 'ended';
    if (ended !== (c.outcome !== null) || (ended && (!c.ended_at || !c.end_reason || !c.ended_by)) || (c.outcome === 'answered' && !c.connected_at)) {
      add('not exactly one outcome', c.id, `${describe(c)}: outcome ${c.outcome}, ended_at ${c.ended_at}, end_reason ${c.end_reason}, connected_at ${c.connected_at}`);
    }
    const endedEntries = s.endedEvents.get(c.id) ?? 0;
    if (endedEntries !== (ended ? 1 : 0)) add('timeline disagrees with call', c.id, `${describe(c)} has ${endedEntries} 'ended' timeline entries`);
    if (c.state === 'ringing' && (agents.get(c.ringing_agent_id ?? '')?.state !== 'ringing' || agents.get(c.ringing_agent_id ?? '')?.call_id !== c.id)) {
      add('call without its agent', c.id, `${describe(c)} but its agent is ${agentView(agents.get(c.ringing_agent_id ?? ''))}`);
    }
    if ((c.state === 'accepted' || c.state === 'connected') && (agents.get(c.agent_id ?? '')?.state !== 'on_call' || agents.get(c.agent_id ?? '')?.call_id !== c.id)) {
      add('call without its agent', c.id, `${describe(c)} but its agent is ${agentView(agents.get(c.agent_id ?? ''))}`);
    }
    if (!settled && !ended) {
      const mover = callMover(c, deadline, agents);
      if (mover === null) add('lost deadline', c.id, `${describe(c)}: no deadline row will move it on`);
      else if (mover === 'parties') add('call never ended', c.id, `${describe(c)}: both parties connected and nobody ended it`);
      else add('call never ended', c.id, `${describe(c)} although its ${mover.kind} deadline was due at ${mover.due_at}`);
    }
  }

  for (const a of s.presence) {
    const call = a.call_id ? calls.get(a.call_id) : undefined;
    const live =
      (a.state === 'ringing' && call?.state === 'ringing' && call.ringing_agent_id === a.agent_id) ||
      (a.state === 'on_call' && (call?.state === 'accepted' || call?.state === 'connected') && call.agent_id === a.agent_id);
    if ((a.state === 'ringing' || a.state === 'on_call') && !live) add('agent busy without a live call', a.agent_id, `${agentView(a)}; ${call ? describe(call) : 'its call is missing'}`);
    if (!settled && a.state === 'wrap_up') {
      const end = deadline('wrap_up_end', a.agent_id) ?? deadline('presence_grace', a.agent_id);
      if (!end) add('lost deadline', a.agent_id, `${agentView(a)} with no wrap_up_end deadline`);
      else add('deadline not run', a.agent_id, `${agentView(a)} although its ${end.kind} deadline was due at ${end.due_at}`);
    }
  }

  for (const d of s.deadlines) {
    if (Date.parse(d.due_at) < s.readAt - OVERDUE_MS) add('deadline not run', `${d.kind}:${d.subject_id}`, `${d.kind} deadline of ${d.subject_id} due ${d.due_at}, claimed by ${d.claimed_by ?? 'nobody'} at ${d.claimed_at ?? '-'}`);
  }

  const rollups = expectedRollups(s.calls);
  for (const key of new Set([...rollups.keys(), ...s.rollups.keys()])) {
    if (rollups.get(key) !== s.rollups.get(key)) add('roll-ups disagree with calls', key, `stored ${s.rollups.get(key) ?? 'nothing'}, the calls sum to ${rollups.get(key) ?? 'nothing'}`);
  }

  for (const w of acked) {
    const call = calls.get(w.callId);
    if (call?.disposition !== w.disposition) add('acked wrap-up not stored', w.callId, `completeWrapUp acked ok at ${new Date(w.ackedAt).toISOString()}; call row has disposition ${call?.disposition ?? 'null'}`);
    const endedAt = call?.ended_at;
    const exit = endedAt ? s.stateChanges.find((x) => x.agent_id === w.agentId && x.at >= endedAt && x.from_state === 'wrap_up') : undefined;
    if (exit?.reason === 'wrap-up time ran out' && Date.parse(exit.at) > w.ackedAt) {
      add('acked wrap-up left agent in wrap-up', w.callId, `completeWrapUp acked ok at ${new Date(w.ackedAt).toISOString()}, yet agent ${w.agentId} left wrap-up only when it timed out at ${exit.at}`);
    }
  }
  return found;
}

/**
 * Checks the state a kill left, before any node runs again: every call not over and every
 * agent in wrap-up must have the deadline row that moves it on (a queued call its maximum
 * wait, a ringing one its ring timeout or maximum wait, an accepted one its media timeout).
 * Ringing and on-call agents are covered by their call's rows.
 */
export function findLostDeadlines(s: LedgerSnapshot): Violation[] {
  const has = (kind: DeadlineKind, subject: string) => s.deadlines.some((d) => d.kind === kind && d.subject_id === subject);
  const needs: Partial<Record<CallRow['state'], DeadlineKind[]>> = { queued: ['max_wait'], ringing: ['ring_timeout', 'max_wait'], accepted: ['media_timeout'] };
  const found: Violation[] = [];
  for (const c of s.calls) {
    const kinds = needs[c.state];
    if (kinds && !kinds.some((k) => has(k, c.id))) {
      found.push({ kind: 'lost deadline', subject: c.id, detail: `the kill left call ${c.id} ${c.state} (queued ${c.queued_at}) with no ${kinds.join(' or ')} deadline` });
    }
  }
  for (const a of s.presence) {
    if (a.state === 'wrap_up' && !has('wrap_up_end', a.agent_id)) {
      found.push({ kind: 'lost deadline', subject: a.agent_id, detail: `the kill left ${agentView(a)} in wrap-up with no wrap_up_end deadline` });
    }
  }
  return found;
}

/** The deadline (or the parties) that will end or move on a call that is not over. */
function callMover(
  c: CallRow,
  deadline: (kind: DeadlineKind, subject: string) => DeadlineRow | undefined,
  agents: Map<string, AgentPresenceRow>,
): DeadlineRow | 'parties' | null {
  const graces = [deadline('presence_grace', c.caller_id), c.agent_id ? deadline('presence_grace', c.agent_id) : undefined];
  const own = c.state === 'queued' ? [deadline('max_wait', c.id)] : c.state === 'ringing' ? [deadline('ring_timeout', c.id), deadline('max_wait', c.id)] : c.state === 'accepted' ? [deadline('media_timeout', c.id)] : [];
  const row = [...own, ...graces].find((d) => d !== undefined);
  if (row) return row;
  const agentConnected = c.agent_id ? agents.get(c.agent_id)?.connected === 1 : false;
  return c.state === 'connected' && agentConnected ? 'parties' : null;
}

function agentView(a: AgentPresenceRow | undefined): string {
  return a ? `agent ${a.agent_id} ${a.state} (call ${a.call_id ?? '-'}, connected ${a.connected})` : 'without presence';
}
