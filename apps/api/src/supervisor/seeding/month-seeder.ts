import type { Kysely } from 'kysely';
import type { CreateUserRequest, Role } from '@switchboard/call-domain';
import { hashPassword } from '../../auth/password';
import { rebuildRollups } from '../../calls/ledger/call-rollups';
import type { Database } from '../../database/schema';
import { DEMO_PASSWORD, DEMO_USERS } from '../../users/demo-users';
import { UsersRepository } from '../../users/users.repository';
import { generateMonth, type GeneratedCall, type SeedPerson } from './month-generator';
import { SeededRandom } from './random';

/** Agents added to the demo ones, so the month has a team. */
const EXTRA_AGENTS: readonly CreateUserRequest[] = [
  ['jordan', 'Jordan Lee'],
  ['riley', 'Riley Chen'],
  ['taylor', 'Taylor Brooks'],
  ['devon', 'Devon Patel'],
].map(([username, displayName]) => ({ username, displayName, role: 'agent', password: DEMO_PASSWORD }));

const FIRST = ['Amira', 'Ben', 'Chloé', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena', 'Liam', 'Maya'];
const LAST = ['Hassan', 'Novak', "O'Brien", 'Müller', 'Santos', 'Kowalski', 'Nguyen', 'Okafor'];

/** The generated students: demo "student" plus 39 more with distinct, deterministic names. */
function extraStudents(): CreateUserRequest[] {
  return Array.from({ length: 39 }, (_, i) => {
    const displayName = `${FIRST[i % FIRST.length]} ${LAST[(i * 3 + Math.floor(i / FIRST.length)) % LAST.length]}`;
    const username = `${displayName.normalize('NFD').replace(/[^A-Za-z ]/g, '').toLowerCase().replace(' ', '.')}${i}`;
    return { username, displayName, role: 'student', password: DEMO_PASSWORD };
  });
}

/** What {@link seedMonth} does. */
export interface SeedMonthOptions {
  seed: number;
  days: number;
  callsPerDay: number;
  /** End of the month (exclusive, rounded down to UTC midnight); default today's UTC midnight. */
  end?: Date;
  /** Delete the calls already stored in the period first (otherwise refuse). */
  replace?: boolean;
  /** What agents pick at wrap-up (the call server's DISPOSITIONS). */
  dispositions: readonly string[];
}

/** What {@link seedMonth} stored. */
export interface SeedMonthSummary {
  from: string;
  to: string;
  calls: number;
  events: number;
  callbacks: number;
  agents: number;
  students: number;
}

/** Raised when seeding would mix with calls already stored in the period. */
export class SeedConflictError extends Error {
  override readonly name = 'SeedConflictError';
}

/** Inserts per statement, under SQLite's and PostgreSQL's bound-parameter limits. */
const CALL_ROWS_PER_INSERT = 500;
const EVENT_ROWS_PER_INSERT = 2000;

/**
 * Fills the database with a month of calls (see `generateMonth`) for the demo accounts plus
 * four agents and 39 students, created if missing with the demo password. One transaction
 * per day, multi-row inserts. Callers refuse in production: the accounts' password is public.
 *
 * @throws SeedConflictError when the period already has calls and `replace` is not set.
 */
export async function seedMonth(db: Kysely<Database>, options: SeedMonthOptions): Promise<SeedMonthSummary> {
  const endDay = options.end ?? new Date();
  const to = new Date(Date.UTC(endDay.getUTCFullYear(), endDay.getUTCMonth(), endDay.getUTCDate()));
  const from = new Date(to.getTime() - options.days * 86_400_000);
  const period = { from: from.toISOString(), to: to.toISOString() };
  await clearPeriod(db, period, options.replace ?? false);
  const cast = await ensureCast(new UsersRepository(db));
  const summary: SeedMonthSummary = { ...period, calls: 0, events: 0, callbacks: 0, agents: cast.agent.length, students: cast.student.length };
  const days = generateMonth({ ...options, end: to, agents: cast.agent, students: cast.student, supervisors: cast.supervisor });
  const eventIds = new SeededRandom(options.seed ^ 0x5eed);
  for (const day of days) {
    await db.transaction().execute((trx) => insertDay(trx, day, eventIds));
    summary.calls += day.length;
    summary.events += day.reduce((n, c) => n + c.timeline.length, 0);
    summary.callbacks += day.filter((c) => c.callback).length;
  }
  // The calls were written directly, not through the ledger: their roll-ups are recomputed.
  await db.transaction().execute((trx) => rebuildRollups(trx, period.from, period.to));
  return summary;
}

async function clearPeriod(db: Kysely<Database>, period: { from: string; to: string }, replace: boolean): Promise<void> {
  const inPeriod = db.selectFrom('calls').select('id').where('queued_at', '>=', period.from).where('queued_at', '<', period.to);
  const { n } = await db
    .selectFrom('calls')
    .where('queued_at', '>=', period.from)
    .where('queued_at', '<', period.to)
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(n) === 0) return;
  if (!replace) throw new SeedConflictError(`${n} calls are already stored between ${period.from} and ${period.to}; pass --replace to delete them first`);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('callback_requests').where('call_id', 'in', inPeriod).execute();
    await trx.deleteFrom('call_events').where('call_id', 'in', inPeriod).execute();
    await trx.deleteFrom('calls').where('queued_at', '>=', period.from).where('queued_at', '<', period.to).execute();
    await rebuildRollups(trx, period.from, period.to);
  });
}

/** Creates the missing accounts (the demo cast and `more`; one password hash for all) and returns everyone by role. */
export async function ensureCast(users: UsersRepository, more: readonly CreateUserRequest[] = []): Promise<Record<Role, SeedPerson[]>> {
  const cast: Record<Role, SeedPerson[]> = { student: [], agent: [], supervisor: [] };
  let passwordHash: string | undefined;
  for (const wanted of [...DEMO_USERS, ...EXTRA_AGENTS, ...extraStudents(), ...more]) {
    let user = await users.findByUsername(wanted.username).then((row) => row && { id: row.id, displayName: row.display_name, role: row.role });
    if (!user) {
      passwordHash ??= await hashPassword(wanted.password);
      user = await users.create({ username: wanted.username, displayName: wanted.displayName, role: wanted.role, passwordHash });
    }
    if (user.role === wanted.role) cast[wanted.role].push({ id: user.id, displayName: user.displayName });
  }
  return cast;
}

export async function insertDay(db: Kysely<Database>, calls: readonly GeneratedCall[], ids: SeededRandom): Promise<void> {
  for (let i = 0; i < calls.length; i += CALL_ROWS_PER_INSERT) {
    const rows = calls.slice(i, i + CALL_ROWS_PER_INSERT).map(({ record: r }) => ({
      id: r.id,
      state: r.state,
      outcome: r.outcome,
      caller_id: r.callerId,
      caller_name: r.callerName,
      agent_id: r.agentId,
      agent_name: r.agentName,
      ringing_agent_id: null,
      rings_out_at: null,
      queued_at: r.queuedAt,
      answered_at: r.answeredAt,
      connected_at: r.connectedAt,
      ended_at: r.endedAt,
      ended_by: r.endedBy,
      end_reason: r.endReason,
      queue_ms: r.queueSeconds === null ? null : Math.round(r.queueSeconds * 1000),
      talk_ms: r.talkSeconds === null ? null : Math.round(r.talkSeconds * 1000),
      wrap_up_ms: r.wrapUpSeconds === null ? null : Math.round(r.wrapUpSeconds * 1000),
      disposition: r.disposition,
      notes: r.notes,
    }));
    if (rows.length) await db.insertInto('calls').values(rows).execute();
  }
  const events = calls.flatMap((c) =>
    c.timeline.map((e, i) => ({ id: ids.uuid(), call_id: c.record.id, seq: i + 1, at: e.at, type: e.type, actor_id: e.actorId, actor_name: e.actorName, detail: e.detail })),
  );
  for (let i = 0; i < events.length; i += EVENT_ROWS_PER_INSERT) await db.insertInto('call_events').values(events.slice(i, i + EVENT_ROWS_PER_INSERT)).execute();
  const callbacks = calls.flatMap((c) => (c.callback ? [c.callback] : []));
  // In batches too: a busy day has thousands, more than SQLite binds in one statement.
  for (let i = 0; i < callbacks.length; i += CALL_ROWS_PER_INSERT) {
    await db
      .insertInto('callback_requests')
      .values(
        callbacks
          .slice(i, i + CALL_ROWS_PER_INSERT)
          .map((cb) => ({ id: cb.id, call_id: cb.callId, student_id: cb.studentId, name: cb.name, note: cb.note, created_at: cb.createdAt, done_at: cb.doneAt, done_by: cb.doneById })),
      )
      .execute();
  }
}
