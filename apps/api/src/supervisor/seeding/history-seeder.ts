import type { Kysely } from 'kysely';
import type { CreateUserRequest } from '@switchboard/call-domain';
import { ROLLUP_DAY_MS, rebuildRollups } from '../../calls/ledger/call-rollups';
import type { Database } from '../../database/schema';
import { DEMO_PASSWORD } from '../../users/demo-users';
import { UsersRepository } from '../../users/users.repository';
import { generateMonth, type GeneratedCall } from './month-generator';
import { SeedConflictError, ensureCast } from './month-seeder';
import { withGeneratedQuality } from './quality-generator';
import { SeededRandom } from './random';
import { insertGeneratedCalls, withIndexesDeferred } from './seed-writes';

/** What {@link seedHistory} does. */
export interface SeedHistoryOptions {
  /** How many calls to store. */
  calls: number;
  seed: number;
  /** Mean calls on a weekday, as `seed:month`. */
  callsPerDay: number;
  /** Students besides the demo cast (a university's worth, so a name search is selective). */
  students: number;
  /** The history ends here (exclusive, UTC midnight); default today's UTC midnight. */
  end?: Date;
  dispositions: readonly string[];
}

/** What {@link seedHistory} stored. */
export interface SeedHistorySummary {
  from: string;
  to: string;
  calls: number;
  events: number;
  students: number;
}

/**
 * Calls per transaction. Big: SQLite writes every page a transaction changed to its journal
 * at commit, and a batch's timeline entries land all over the primary key's pages. Not one
 * transaction for everything: its changed pages would outgrow the page cache and be written
 * out again and again before the commit. Also bounds the memory the generated calls take.
 */
const CALLS_PER_TRANSACTION = 50_000;

const GIVEN = ['Aaliyah', 'Ahmed', 'Aiko', 'Alejandro', 'Amara', 'Anders', 'Ayesha', 'Bao', 'Beatriz', 'Bjorn', 'Camille', 'Chen', 'Chidi', 'Dalia', 'Diego', 'Ebru', 'Emeka', 'Emma', 'Fatima', 'Felix', 'Gabriel', 'Hana', 'Ivan', 'Jamal', 'Jana', 'Kai', 'Kamala', 'Lars', 'Leila', 'Lucas', 'Mei', 'Mateo', 'Nadia', 'Noah', 'Olga', 'Omar', 'Priya', 'Rafael', 'Rania', 'Sofia', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Yusuf', 'Zainab', 'Zoe'];
const FAMILY = ['Abbott', 'Adeyemi', 'Bauer', 'Bianchi', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jensen', 'Kim', 'Kowalczyk', 'Larsen', 'Lindqvist', 'Moreau', 'Mwangi', 'Nakamura', 'Nilsen', 'Oliveira', 'Patel', 'Quinn', 'Rossi', 'Sato', 'Schmidt', 'Silva', 'Tanaka', 'Umar', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang'];

/** `count` students with distinct usernames (`first.last.N`); names repeat as in a real university. */
function students(count: number): CreateUserRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const given = GIVEN[i % GIVEN.length];
    const family = FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length];
    return { username: `${given}.${family}.${i}`.toLowerCase(), displayName: `${given} ${family}`, role: 'student', password: DEMO_PASSWORD };
  });
}

/**
 * Stores `calls` calls generated like `seed:month` (same queue simulation, timelines included)
 * over as many days as they take, ending at `end`, for the demo cast plus `students` students,
 * with quality summaries for some that talked, a few of them poor ({@link withGeneratedQuality}):
 * a large history for the benchmarks. Refuses when calls are already stored (a history is
 * seeded into an empty database). The accounts in multi-row inserts; the calls in big
 * transactions of prepared multi-row statements, with the tables' secondary indexes built
 * once at the end ({@link withIndexesDeferred}; the student search's callers are kept by their
 * triggers meanwhile); then the roll-ups.
 */
export async function seedHistory(db: Kysely<Database>, options: SeedHistoryOptions): Promise<SeedHistorySummary> {
  const { n } = await db.selectFrom('calls').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
  if (Number(n) > 0) throw new SeedConflictError(`${n} calls are already stored; seed a history into an empty database`);
  const cast = await db.transaction().execute((trx) => ensureCast(new UsersRepository(trx), students(options.students)));
  const endDay = options.end ?? new Date();
  const end = new Date(Date.UTC(endDay.getUTCFullYear(), endDay.getUTCMonth(), endDay.getUTCDate()));
  const summary: SeedHistorySummary = { from: '', to: end.toISOString(), calls: 0, events: 0, students: cast.student.length };
  const eventIds = new SeededRandom(options.seed ^ 0x5eed);
  // Its own stream: the calls and their timelines are drawn as seed:month draws them.
  const qualities = new SeededRandom(options.seed ^ 0x9a11);
  const generate = (days: number) => generateMonth({ ...options, days, end, agents: cast.agent, students: cast.student, supervisors: cast.supervisor });
  // Generated oldest day first and deterministic: a first pass counts, the second keeps the
  // newest `calls`. A week holds about 5.3 weekday means (Monday's rush, weekends a fifth),
  // 10 % to spare; a few days may fall short of that (a weekend), then more are taken.
  let days = Math.max(1, Math.ceil((options.calls / (options.callsPerDay * 5.3)) * 7 * 1.1));
  let skip = -options.calls;
  for (;;) {
    for (const day of generate(days)) skip += day.length;
    if (skip >= 0) break;
    skip = -options.calls;
    days = Math.ceil(days * 1.5) + 7;
  }
  let pending: GeneratedCall[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length) await db.transaction().execute((trx) => insertGeneratedCalls(trx, batch, eventIds));
  };
  await withIndexesDeferred(db, async () => {
    for (const day of generate(days)) {
      const kept = (skip > 0 ? day.slice(Math.min(skip, day.length)) : day).map((c) => withGeneratedQuality(c, qualities));
      skip -= day.length - kept.length;
      if (!kept.length) continue;
      if (!summary.from) summary.from = kept[0].record.queuedAt;
      pending.push(...kept);
      summary.calls += kept.length;
      summary.events += kept.reduce((total, c) => total + c.timeline.length, 0);
      if (pending.length >= CALLS_PER_TRANSACTION) await flush();
    }
    await flush();
  });
  if (summary.from) {
    // The calls were written directly, not through the ledger: their roll-ups are computed
    // (the database held no calls before, so whole UTC days from the first to the day after the end).
    const from = `${summary.from.slice(0, 10)}T00:00:00.000Z`;
    const to = new Date(end.getTime() + ROLLUP_DAY_MS).toISOString();
    await db.transaction().execute((trx) => rebuildRollups(trx, from, to));
  }
  return summary;
}
