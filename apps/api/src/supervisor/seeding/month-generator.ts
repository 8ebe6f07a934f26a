import type { CallEventType, CallParty, CallRecord, CallTimelineEvent, EndReason } from '@switchboard/call-domain';
import type { Insertable } from 'kysely';
import type { CallQualityTable } from '../../database/schema';
import { SeededRandom } from './random';

/** Someone the generated calls refer to. */
export interface SeedPerson {
  id: string;
  displayName: string;
}

/** What a month is generated from. */
export interface MonthOptions {
  seed: number;
  days: number;
  /** Mean calls on a weekday (4 agents on shift, 3 on Mondays' rush; 2 at weekends, which get about a fifth). */
  callsPerDay: number;
  /** The month ends here (exclusive), at a UTC midnight. */
  end: Date;
  agents: readonly SeedPerson[];
  students: readonly SeedPerson[];
  /** Who marks old callback requests done. */
  supervisors: readonly SeedPerson[];
  /** What agents pick at wrap-up. */
  dispositions: readonly string[];
}

/** A callback request left by a caller nobody answered. */
export interface GeneratedCallback {
  id: string;
  callId: string;
  studentId: string;
  name: string;
  note: string;
  createdAt: string;
  doneAt: string | null;
  doneById: string | null;
}

/** One generated call: the record, its timeline in order, its callback request if any, and its quality summary if drawn. */
export interface GeneratedCall {
  record: CallRecord;
  timeline: CallTimelineEvent[];
  callback: GeneratedCallback | null;
  /** Its `call_quality` row (`seed:history` draws some: `withGeneratedQuality`); the call is poor when it counts warning samples. */
  quality?: Insertable<CallQualityTable>;
}

/** Ring timeout before an offer counts as missed (shared/CONTACT-CENTER.md default). */
export const SEED_RING_TIMEOUT_MS = 20_000;
/** Maximum wait before a call ends unanswered. */
export const SEED_MAX_WAIT_MS = 300_000;

// Relative call volume per hour of day, busier at 10–12 and 14–16.
const WEEKDAY_HOURS: Record<number, number> = { 8: 0.5, 9: 0.9, 10: 1.6, 11: 1.6, 12: 0.8, 13: 0.9, 14: 1.5, 15: 1.5, 16: 0.8, 17: 0.5 };
const WEEKEND_HOURS: Record<number, number> = { 10: 1, 11: 1, 12: 1, 13: 1, 14: 1, 15: 1 };
const NOTES = [
  'Reset done, student signed in again.',
  'Walked through eduroam setup on Android, works now.',
  'Sent the "Getting started" guide by email.',
  'Escalated to second level, ticket opened.',
  '- student will retry from the library, call back if it fails',
  'Explained the fee deadline; asked to check the portal, then call back.',
  'Line was noisy; said "thanks, that fixed it"',
];
const CALLBACK_NOTES = ['Please call me back about my password.', 'Cannot reach the Wi-Fi, call me, please', 'Question about enrollment, any time after 2 pm'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface AgentClock {
  agent: SeedPerson;
  /** When the agent can take the next offer. */
  freeAt: number;
  /** Since when they have been idle (longest idle is offered first). */
  idleSince: number;
  /** End of the shift: no offers from then on. */
  closesAt: number;
}

/**
 * Generates a month of calls, one day at a time (yielding each day's calls in queue order),
 * by simulating a first-come-first-served queue in front of the agents on shift, routed to
 * the longest idle agent: waits grow in busy hours, impatient callers abandon, some offers
 * ring out or are declined, a few calls fail. Deterministic for a given seed and cast.
 */
export function* generateMonth(options: MonthOptions): Generator<GeneratedCall[]> {
  if (!options.agents.length || !options.students.length) throw new Error('Generating calls needs at least one agent and one student');
  const random = new SeededRandom(options.seed);
  const nextCaller = random.weightedPicker(options.students.map((_, i) => 1 / (i + 1) ** 0.7));
  const end = Date.UTC(options.end.getUTCFullYear(), options.end.getUTCMonth(), options.end.getUTCDate());
  for (let d = options.days; d >= 1; d--) {
    const dayStart = end - d * DAY_MS;
    const weekday = [1, 2, 3, 4, 5].includes(new Date(dayStart).getUTCDay());
    const hours = weekday ? WEEKDAY_HOURS : WEEKEND_HOURS;
    const hourList = Object.keys(hours).map(Number);
    // Mondays are the rush: more calls, and one agent fewer on shift.
    const monday = new Date(dayStart).getUTCDay() === 1;
    const mean = weekday ? options.callsPerDay * (monday ? 1.3 : 1) : options.callsPerDay / 5;
    const count = Math.max(0, Math.round(mean * random.between(0.85, 1.15)));
    const arrivals = Array.from({ length: count }, () => dayStart + hourList[random.weighted(hourList.map((h) => hours[h]))] * HOUR_MS + Math.floor(random.next() * HOUR_MS)).sort(
      (a, b) => a - b,
    );
    const closesAt = dayStart + (hourList[hourList.length - 1] + 1) * HOUR_MS;
    const clocks = onShift(options.agents, weekday ? (monday ? 3 : 4) : 2, d).map((agent, i) => ({ agent, freeAt: dayStart + hourList[0] * HOUR_MS, idleSince: dayStart - i, closesAt }));
    yield arrivals.map((queuedAt) => simulateCall(random, queuedAt, options.students[nextCaller()], clocks, options, end));
  }
}

function onShift(agents: readonly SeedPerson[], wanted: number, day: number): SeedPerson[] {
  const size = Math.min(agents.length, wanted);
  return Array.from({ length: size }, (_, i) => agents[(day + i) % agents.length]);
}

/** Writes one call's timeline as the simulation goes. */
class Timeline {
  readonly events: CallTimelineEvent[] = [];
  add(at: number, type: CallEventType, actor: SeedPerson | null, detail: string | null = null): void {
    this.events.push({ at: iso(at), type, actorId: actor?.id ?? null, actorName: actor?.displayName ?? null, detail });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function simulateCall(random: SeededRandom, queuedAt: number, caller: SeedPerson, clocks: AgentClock[], options: MonthOptions, monthEnd: number): GeneratedCall {
  const id = random.timeOrderedUuid(queuedAt);
  const timeline = new Timeline();
  timeline.add(queuedAt, 'queued', caller);
  const patience = random.chance(0.04) ? random.between(500, 5000) : random.chance(0.15) ? Infinity : 5000 + random.exponential(120_000);
  const gaveUpAt = Math.round(queuedAt + Math.min(patience, SEED_MAX_WAIT_MS));
  const declinedBy = new Set<AgentClock>();
  let now = Math.round(queuedAt + random.between(200, 1500));
  for (;;) {
    const clock = nextAgent(clocks, declinedBy, now);
    const offeredAt = clock ? Math.max(now, clock.freeAt) : Infinity;
    if (!clock || offeredAt >= gaveUpAt) break;
    timeline.add(offeredAt, 'offered', clock.agent);
    const roll = random.next();
    const answerAfter = roll < 0.07 ? SEED_RING_TIMEOUT_MS : Math.round(random.between(2000, roll < 0.11 ? 8000 : 10_000));
    if (offeredAt + answerAfter >= gaveUpAt) {
      clock.freeAt = gaveUpAt;
      break;
    }
    now = offeredAt + answerAfter;
    if (roll < 0.07) {
      timeline.add(now, 'missed', clock.agent, 'Rang out after 20 s');
      clock.freeAt = clock.idleSince = now + Math.round(random.between(20_000, 180_000));
    } else if (roll < 0.11) {
      timeline.add(now, 'declined', clock.agent);
      clock.freeAt = clock.idleSince = now;
      declinedBy.add(clock);
    } else {
      return answeredCall(random, id, caller, queuedAt, now, clock, timeline, options.dispositions);
    }
  }
  return unansweredCall(random, id, caller, queuedAt, gaveUpAt, patience < SEED_MAX_WAIT_MS, timeline, options.supervisors, monthEnd);
}

function nextAgent(clocks: AgentClock[], excluded: Set<AgentClock>, now: number): AgentClock | undefined {
  const ready = (c: AgentClock) => Math.max(now, c.freeAt);
  return clocks.filter((c) => !excluded.has(c) && ready(c) < c.closesAt).sort((a, b) => ready(a) - ready(b) || a.idleSince - b.idleSince)[0];
}

function baseRecord(id: string, caller: SeedPerson, queuedAt: number): CallRecord {
  return {
    id,
    state: 'ended',
    outcome: null,
    callerId: caller.id,
    callerName: caller.displayName,
    agentId: null,
    agentName: null,
    queuedAt: iso(queuedAt),
    answeredAt: null,
    connectedAt: null,
    endedAt: null,
    endedBy: null,
    endReason: null,
    queueSeconds: null,
    talkSeconds: null,
    wrapUpSeconds: null,
    disposition: null,
    notes: null,
  };
}

function ended(record: CallRecord, timeline: Timeline, at: number, by: CallParty, reason: EndReason, actor: SeedPerson | null): void {
  timeline.add(at, 'ended', actor, reason);
  Object.assign(record, { endedAt: iso(at), endedBy: by, endReason: reason });
}

function answeredCall(
  random: SeededRandom,
  id: string,
  caller: SeedPerson,
  queuedAt: number,
  acceptedAt: number,
  clock: AgentClock,
  timeline: Timeline,
  dispositions: readonly string[],
): GeneratedCall {
  const { agent } = clock;
  const record = { ...baseRecord(id, caller, queuedAt), agentId: agent.id, agentName: agent.displayName, answeredAt: iso(acceptedAt), queueSeconds: (acceptedAt - queuedAt) / 1000 };
  timeline.add(acceptedAt, 'accepted', agent);
  if (random.chance(0.02)) {
    const failedAt = acceptedAt + Math.round(random.between(5000, 10_000));
    timeline.add(failedAt, 'media_failed', agent, 'ICE connection failed');
    ended(record, timeline, failedAt, 'system', 'media_failed', null);
    clock.freeAt = clock.idleSince = failedAt + 10_000;
    return { record: { ...record, outcome: 'failed' }, timeline: timeline.events, callback: null };
  }
  const connectedAt = acceptedAt + Math.round(random.between(300, 2000));
  const endedAt = connectedAt + Math.round(random.logNormal(240_000, 0.6, 30_000, 2_400_000));
  const savedAt = endedAt + Math.round(random.logNormal(45_000, 0.5, 5_000, 300_000));
  const byAgent = random.chance(0.55);
  const disposition = random.pick(dispositions);
  timeline.add(connectedAt, 'connected', agent);
  ended(record, timeline, endedAt, byAgent ? 'agent' : 'caller', random.chance(0.03) ? 'disconnected' : 'hung_up', byAgent ? agent : caller);
  timeline.add(savedAt, 'wrap_up_saved', agent, disposition);
  clock.freeAt = clock.idleSince = savedAt;
  const notes = random.chance(0.4) ? random.pick(NOTES) : null;
  const times = { connectedAt: iso(connectedAt), talkSeconds: (endedAt - connectedAt) / 1000, wrapUpSeconds: (savedAt - endedAt) / 1000 };
  return { record: { ...record, ...times, outcome: 'answered', disposition, notes }, timeline: timeline.events, callback: null };
}

function unansweredCall(
  random: SeededRandom,
  id: string,
  caller: SeedPerson,
  queuedAt: number,
  endedAt: number,
  callerLeft: boolean,
  timeline: Timeline,
  supervisors: readonly SeedPerson[],
  monthEnd: number,
): GeneratedCall {
  const record = { ...baseRecord(id, caller, queuedAt), queueSeconds: (endedAt - queuedAt) / 1000 };
  if (callerLeft) {
    const cancelled = random.chance(0.85);
    if (cancelled) timeline.add(endedAt, 'cancelled', caller);
    ended(record, timeline, endedAt, 'caller', cancelled ? 'cancelled' : 'caller_left', caller);
    return { record: { ...record, outcome: endedAt - queuedAt <= 5000 ? 'short_abandon' : 'abandoned' }, timeline: timeline.events, callback: null };
  }
  ended(record, timeline, endedAt, 'system', 'max_wait', null);
  let callback: GeneratedCallback | null = null;
  if (random.chance(0.6)) {
    const createdAt = endedAt + Math.round(random.between(5000, 40_000));
    const doneAt = createdAt + Math.round(random.between(0.5, 24) * HOUR_MS);
    const done = supervisors.length > 0 && doneAt < monthEnd - DAY_MS && random.chance(0.75);
    timeline.add(createdAt, 'callback_requested', caller);
    const note = random.pick(CALLBACK_NOTES);
    callback = { id: random.uuid(), callId: id, studentId: caller.id, name: caller.displayName, note, createdAt: iso(createdAt), doneAt: done ? iso(doneAt) : null, doneById: done ? random.pick(supervisors).id : null };
  }
  return { record: { ...record, outcome: 'unanswered' }, timeline: timeline.events, callback };
}
