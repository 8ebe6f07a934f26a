import type { Kysely } from 'kysely';
import type { CreateUserRequest, Role } from '@switchboard/call-domain';
import { hashPassword } from '../../auth/password';
import { rebuildRollups } from '../../calls/ledger/call-rollups';
import type { Database } from '../../database/schema';
import { DEMO_PASSWORD, DEMO_USERS } from '../../users/demo-users';
import { UsersRepository } from '../../users/users.repository';
import { generateMonth, type SeedPerson } from './month-generator';
import { SeededRandom } from './random';
import { insertGeneratedCalls } from './seed-writes';

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

/**
 * Fills the database with a month of calls (see `generateMonth`) for the demo accounts plus
 * four agents and 39 students, created if missing with the demo password. One transaction
 * per day, prepared multi-row inserts (`insertGeneratedCalls`). Callers refuse in production: the accounts' password is public.
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
    await db.transaction().execute((trx) => insertGeneratedCalls(trx, day, eventIds));
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

/**
 * Creates the missing accounts (the demo cast and `more`; one password hash for all, the
 * missing ones in multi-row inserts) and returns everyone by role, in the order wanted.
 */
export async function ensureCast(users: UsersRepository, more: readonly CreateUserRequest[] = []): Promise<Record<Role, SeedPerson[]>> {
  const wanted = [...DEMO_USERS, ...EXTRA_AGENTS, ...extraStudents(), ...more];
  const existing = await users.findManyByUsername(wanted.map((w) => w.username));
  const byUsername = new Map<string, { id: string; displayName: string; role: Role }>();
  for (const row of existing.values()) byUsername.set(row.username, { id: row.id, displayName: row.display_name, role: row.role });
  const missing = new Map<string, CreateUserRequest>();
  for (const w of wanted) if (!byUsername.has(w.username.toLowerCase()) && !missing.has(w.username.toLowerCase())) missing.set(w.username.toLowerCase(), w);
  if (missing.size) {
    const passwordHash = await hashPassword(missing.values().next().value?.password ?? DEMO_PASSWORD);
    const created = await users.createMany([...missing.values()].map((w) => ({ username: w.username, displayName: w.displayName, role: w.role, passwordHash })));
    for (const user of created) byUsername.set(user.username, user);
  }
  const cast: Record<Role, SeedPerson[]> = { student: [], agent: [], supervisor: [] };
  for (const w of wanted) {
    const user = byUsername.get(w.username.toLowerCase());
    if (user && user.role === w.role) cast[w.role].push({ id: user.id, displayName: user.displayName });
  }
  return cast;
}
