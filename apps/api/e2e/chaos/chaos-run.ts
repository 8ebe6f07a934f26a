import { join } from 'node:path';
import type { ClientToServerEvents, CreateUserRequest } from '@switchboard/call-domain';
import { openMigratedDatabase } from '../../src/database/database';
import { createTestPostgresDatabase } from '../../src/testing/postgres';
import { createTempDir } from '../../src/testing/temp-dir';
import { createAccount } from '../../src/users/user-accounts';
import { UsersRepository } from '../../src/users/users.repository';
import { ApiProcess, freeRestartablePort } from './api-process';
import { AgentActor, CallBook, Phase, StudentActor, type PhaseMode } from './chaos-actors';
import { ChaosClient } from './chaos-client';
import { findLostDeadlines, findViolations, isSettled, openLedgerReader, type LedgerReader, type LedgerSnapshot, type Violation } from './ledger-checks';
import { SeededRandom } from '../../src/supervisor/seeding/random';

/** The call timers of a chaos run: the shortest the configuration allows, so deadlines come due within a round. */
export const CHAOS_CALL_SETTINGS: Readonly<Record<string, string>> = {
  RING_TIMEOUT_SECONDS: '1',
  MAX_WAIT_SECONDS: '6',
  WRAP_UP_SECONDS: '1',
  PRESENCE_GRACE_SECONDS: '1',
  CALLER_GRACE_SECONDS: '1',
  MEDIA_TIMEOUT_SECONDS: '2',
  DEADLINE_POLL_MS: '50',
};

/** A fresh seed, for runs not given one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** What to run. */
export interface ChaosOptions {
  dialect: 'sqlite' | 'postgres';
  kills: number;
  seed: number;
  /** Progress lines (one per kill); quiet when left out. */
  log?: (line: string) => void;
}

/** A violation and the kill after which it was first seen. */
export type FoundViolation = Violation & { kill: number };

/** What a run found. */
export interface ChaosReport {
  dialect: 'sqlite' | 'postgres';
  seed: number;
  kills: number;
  calls: number;
  outcomes: Record<string, number>;
  /** Stages (as the clients saw them) of the calls each kill interrupted, summed over kills. */
  stagesAtKill: Record<string, number>;
  /** Kills whose restarted node did not settle within the bounded wait. */
  unsettledKills: number;
  /** Each stuck call or agent once, at the first kill that showed it. */
  violations: FoundViolation[];
  seconds: number;
}

const PASSWORD = 'chaos-password';
const STUDENTS = 4;
const AGENTS = 3;
/** Longest a restarted node may take to settle: a dead node's deadline claim goes stale after 15 s, plus the longest timer chain. */
const SETTLE_TIMEOUT_MS = 25_000;
const POLL_MS = 150;
/** After a restart: how likely a tab stays closed (its grace period ends its calls), and how likely a student keeps waiting in line. */
const AWAY_CHANCE = 0.15;
const PATIENT_CHANCE = 0.35;
const KILL_TRIGGERS: readonly (keyof ClientToServerEvents)[] = ['requestCall', 'sendOffer', 'acceptCall', 'declineCall', 'reportMedia', 'hangUp', 'cancelCall', 'completeWrapUp'];

/**
 * Drives calls through their lives on the built API, SIGKILLs it `kills` times at random
 * moments (some right after a chosen event is sent), restarts it on the same storage, lets it
 * run its deadlines, and checks the database after each kill (see `findViolations`).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const dir = createTempDir('switchboard-chaos-');
  const pg = options.dialect === 'postgres' ? await createTestPostgresDatabase() : null;
  const database = pg ? ({ dialect: 'postgres', url: pg.url } as const) : ({ dialect: 'sqlite', file: join(dir.path, 'switchboard.sqlite') } as const);
  const port = await freeRestartablePort();
  const env = {
    PORT: String(port),
    DATA_DIR: dir.path,
    ...(pg ? { DATABASE_URL: pg.url } : {}),
    NODE_ENV: 'test',
    JWT_SECRET: 'chaos-secret-that-is-long-enough-for-production-0123',
    PORTAL_DIR: join(dir.path, 'no-portal'),
    LOG_LEVEL: 'fatal',
    DRAIN_SECONDS: '0',
    LOGIN_ATTEMPTS_PER_MINUTE: '100000',
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '100000',
    ...CHAOS_CALL_SETTINGS,
  };
  const run = new ChaosRun(options, new ApiProcess(port, env));
  try {
    await seedUsers(database);
    run.reader = await openLedgerReader(database);
    return await run.execute();
  } finally {
    await run.close();
    await pg?.drop();
    dir.remove();
  }
}

/** The first accounts, stored the way the tests and CLI tools create them. */
async function seedUsers(database: Parameters<typeof openMigratedDatabase>[0]): Promise<void> {
  const { db } = await openMigratedDatabase(database);
  try {
    const users = new UsersRepository(db);
    const request = (username: string, role: CreateUserRequest['role']) => ({ username, role, displayName: username, password: PASSWORD });
    await createAccount(users, request('supervisor', 'supervisor'));
    for (let i = 1; i <= STUDENTS; i++) await createAccount(users, request(`student${i}`, 'student'));
    for (let i = 1; i <= AGENTS; i++) await createAccount(users, request(`agent${i}`, 'agent'));
  } finally {
    await db.destroy();
  }
}

class ChaosRun {
  reader: LedgerReader | null = null;
  private readonly rng: SeededRandom;
  private readonly book = new CallBook();
  private current: Phase;
  private readonly context = { phase: () => this.current, book: this.book };
  private students: StudentActor[] = [];
  private agents: AgentActor[] = [];
  private supervisorToken = '';
  private killTrigger: ((event: keyof ClientToServerEvents) => void) | null = null;
  private readonly found = new Map<string, FoundViolation>();
  private readonly stagesAtKill: Record<string, number> = {};
  private unsettledKills = 0;
  private newUsers = 0;

  constructor(
    private readonly options: ChaosOptions,
    private readonly api: ApiProcess,
  ) {
    this.rng = new SeededRandom(options.seed);
    this.current = new Phase('prepare', this.rng);
  }

  async execute(): Promise<ChaosReport> {
    const started = Date.now();
    await this.api.start();
    const supervisor = await this.signIn('supervisor');
    this.supervisorToken = supervisor.login.accessToken;
    for (let i = 1; i <= STUDENTS; i++) this.students.push(new StudentActor(await this.signIn(`student${i}`), this.context));
    for (let i = 1; i <= AGENTS; i++) this.agents.push(new AgentActor(await this.signIn(`agent${i}`), this.context));
    for (let kill = 1; kill <= this.options.kills; kill++) await this.killOnce(kill);
    const last = await this.read();
    const outcomes: Record<string, number> = {};
    for (const call of last.calls) outcomes[call.outcome ?? `(${call.state})`] = (outcomes[call.outcome ?? `(${call.state})`] ?? 0) + 1;
    return {
      dialect: this.options.dialect,
      seed: this.options.seed,
      kills: this.options.kills,
      calls: last.calls.length,
      outcomes,
      stagesAtKill: this.stagesAtKill,
      unsettledKills: this.unsettledKills,
      violations: [...this.found.values()],
      seconds: Math.round((Date.now() - started) / 1000),
    };
  }

  async close(): Promise<void> {
    this.current.end();
    for (const actor of [...this.students, ...this.agents]) actor.client.disconnect();
    await this.api.stop();
    await this.reader?.close();
  }

  /** One round: everyone ready, calls driven, SIGKILL, restart, settle, check. */
  private async killOnce(kill: number): Promise<void> {
    const t0 = Date.now();
    await this.prepare();
    const t1 = Date.now();
    const drive = this.enter('drive');
    const trigger = this.rng.chance(0.6) ? { event: this.rng.pick(KILL_TRIGGERS), delayMs: this.rng.int(0, 10) } : null;
    let fire!: () => void;
    const killNow = new Promise<void>((resolve) => (fire = resolve));
    this.killTrigger = trigger
      ? (event) => {
          if (event !== trigger.event) return;
          this.killTrigger = null;
          setTimeout(fire, trigger.delayMs);
        }
      : null;
    const fallback = setTimeout(() => fire(), trigger ? 3000 : this.rng.int(150, 2500));
    for (const student of this.students) student.drive();
    await killNow;
    clearTimeout(fallback);
    this.killTrigger = null;
    await this.api.kill();
    drive.end();
    await this.reader?.untilWritersGone();
    this.record(findLostDeadlines(await this.read()), kill);
    for (const [stage, n] of Object.entries(this.book.openStages())) this.stagesAtKill[stage] = (this.stagesAtKill[stage] ?? 0) + n;
    for (const actor of [...this.students, ...this.agents]) actor.client.disconnect();

    const t2 = Date.now();
    await this.api.start();
    const t3 = Date.now();
    const settle = this.enter('settle');
    for (const agent of this.agents) agent.afterRestart();
    await Promise.all([...this.students, ...this.agents].map((actor) => (this.rng.chance(AWAY_CHANCE) ? undefined : actor.client.connect(this.api.url))));
    // Every choice drawn in the same order from run to run (a seed replays them): the answers first, then the plans.
    const back = this.students.filter((student) => student.client.connected).map((student) => ({ student, patient: this.rng.chance(PATIENT_CHANCE) }));
    const live = await Promise.all(back.map(({ student, patient }) => (patient ? student.liveCall() : null)));
    back.forEach(({ student, patient }, i) => student.afterRestart(patient, live[i]));
    const { snapshot, settled } = await this.waitUntilSettled(settle);
    settle.end();
    if (!settled) this.unsettledKills++;
    this.record(findViolations(snapshot, this.book.ackedWrapUps, settled), kill);
    const label = trigger ? `${trigger.event}+${trigger.delayMs}ms` : 'timer';
    const times = `prepare ${t1 - t0} ms, drive ${t2 - t1} ms, restart ${t3 - t2} ms, settle ${Date.now() - t3} ms`;
    this.options.log?.(`kill ${kill} (${label}): ${settled ? 'settled' : 'NOT settled'} (${times}), ${this.found.size} violation(s) so far`);
  }

  private record(violations: readonly Violation[], kill: number): void {
    for (const v of violations) {
      const key = `${v.kind}|${v.subject}`;
      if (!this.found.has(key)) this.found.set(key, { ...v, kill });
    }
  }

  /** Everyone connected, agents Available, no call open; stuck users are replaced by new ones. */
  private async prepare(): Promise<void> {
    this.enter('prepare');
    this.book.stages.clear();
    await Promise.all([...this.students, ...this.agents].filter((a) => !a.client.connected).map((a) => a.client.connect(this.api.url)));
    const open = (s: LedgerSnapshot, student: StudentActor) => s.calls.filter((c) => c.caller_id === student.client.id && c.state !== 'ended').map((c) => c.id);
    let snapshot = await this.read();
    await Promise.all(this.students.map((s) => s.endCalls(open(snapshot, s))));
    snapshot = await this.read();
    const available = (s: LedgerSnapshot, agent: AgentActor) => s.presence.some((p) => p.agent_id === agent.client.id && p.state === 'available' && p.connected === 1);
    await Promise.all(this.agents.filter((a) => !available(snapshot, a)).map((a) => a.client.emit('setAvailability', { state: 'available' })));
    snapshot = await this.read();
    for (const student of this.students.filter((s) => open(snapshot, s).length > 0)) {
      student.client.disconnect();
      this.students[this.students.indexOf(student)] = new StudentActor(await this.newUser('student'), this.context);
    }
    for (const agent of this.agents.filter((a) => !available(snapshot, a))) {
      agent.client.disconnect();
      const fresh = new AgentActor(await this.newUser('agent'), this.context);
      await fresh.client.emit('setAvailability', { state: 'available' });
      this.agents[this.agents.indexOf(agent)] = fresh;
    }
  }

  /** Polls the database until nothing is left to happen (or the bounded wait runs out). */
  private async waitUntilSettled(settle: Phase): Promise<{ snapshot: LedgerSnapshot; settled: boolean }> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    const stuck = new Set([...this.found.values()].map((v) => v.subject));
    for (;;) {
      const snapshot = await this.read();
      if (settle.idle && isSettled(snapshot, stuck)) return { snapshot, settled: true };
      if (Date.now() > deadline) return { snapshot, settled: false };
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private enter(mode: PhaseMode): Phase {
    this.current.end();
    this.current = new Phase(mode, this.rng);
    return this.current;
  }

  private read(): Promise<LedgerSnapshot> {
    if (!this.reader) throw new Error('the chaos run has no database reader');
    return this.reader.read();
  }

  private async signIn(username: string): Promise<ChaosClient> {
    const client = await ChaosClient.signIn(this.api.url, username, PASSWORD, (event) => this.killTrigger?.(event));
    if (username !== 'supervisor') await client.connect(this.api.url);
    return client;
  }

  /** A replacement for a user left stuck by a violation, created by the supervisor (`POST /api/users`). */
  private async newUser(role: 'student' | 'agent'): Promise<ChaosClient> {
    const username = `${role}-new${++this.newUsers}`;
    const res = await fetch(`${this.api.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.supervisorToken}` },
      body: JSON.stringify({ username, role, displayName: username, password: PASSWORD }),
    });
    if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${await res.text()}`);
    return this.signIn(username);
  }
}
