import type { CallRecord, CallTimelineEvent } from './call';
import type { QueueSnapshot } from './protocol';

/** Default service-level threshold, in seconds (shared/CONTACT-CENTER.md). */
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;
/** Default short-abandon window, in seconds (shared/CONTACT-CENTER.md). */
export const DEFAULT_SHORT_ABANDON_SECONDS = 5;

/** The thresholds a set of figures was computed with (shown with the numbers). */
export interface MetricThresholds {
  serviceLevelSeconds: number;
  shortAbandonSeconds: number;
  /** IANA time zone of {@link CallMetrics.callsByHour}. */
  timeZone: string;
}

/** Offers that rang out for one agent. */
export interface AgentMissedOffers {
  agentId: string;
  agentName: string;
  missedOffers: number;
}

/** Calls offered in one hour of the day. */
export interface HourlyCalls {
  /** 0–23, in {@link MetricThresholds.timeZone}. */
  hour: number;
  offered: number;
  answered: number;
  abandoned: number;
}

/** Every figure of the supervisor page. Rates are fractions 0–1; null when undefined (0 ÷ 0). */
export interface CallMetrics {
  offered: number;
  answered: number;
  /** Includes short abandons. */
  abandoned: number;
  shortAbandoned: number;
  answerRate: number | null;
  abandonRate: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  averageHandleTimeSeconds: number | null;
  serviceLevel: number | null;
  /** Agents with at least one missed offer, most first (then by name). */
  missedOffers: AgentMissedOffers[];
  /** Always 24 entries, hour 0 first. */
  callsByHour: HourlyCalls[];
  longestCurrentWaitSeconds: number | null;
  callsWaiting: number;
}

/** The fields of a call record the figures read. */
export type MetricsCall = Pick<CallRecord, 'state' | 'outcome' | 'queuedAt' | 'connectedAt' | 'queueSeconds' | 'talkSeconds' | 'wrapUpSeconds'>;

/** The fields of a timeline event the figures read. */
export type MetricsEvent = Pick<CallTimelineEvent, 'type' | 'actorId' | 'actorName'>;

/** Whether a call is waiting for an agent right now (queued, or ringing at an agent). */
export function isWaiting(call: Pick<CallRecord, 'state'>): boolean {
  return call.state === 'queued' || call.state === 'ringing';
}

/** Whether a call is in progress: accepted by an agent (media being set up or connected), not ended. */
export function isInProgress(call: Pick<CallRecord, 'state'>): boolean {
  return call.state === 'accepted' || call.state === 'connected';
}

/** The supervisors' view of the queue from the calls not yet ended (others are ignored), at `now`. */
export function queueSnapshotOf(liveCalls: readonly Pick<CallRecord, 'state' | 'queuedAt'>[], now: Date): QueueSnapshot {
  const waiting = liveCalls.filter(isWaiting);
  const oldest = waiting.reduce<string | null>((min, c) => (min === null || Date.parse(c.queuedAt) < Date.parse(min) ? c.queuedAt : min), null);
  return {
    callsWaiting: waiting.length,
    oldestQueuedAt: oldest,
    longestWaitSeconds: oldest === null ? null : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000),
    callsInProgress: liveCalls.filter(isInProgress).length,
    generatedAt: now.toISOString(),
  };
}

/** Whether a call counts as answered: outcome Answered, or in progress with media connected. */
export function isAnswered(call: Pick<CallRecord, 'outcome' | 'connectedAt'>): boolean {
  return call.outcome === 'answered' || (call.outcome === null && call.connectedAt !== null);
}

/** Whether a call was abandoned (short abandons included). */
export function isAbandoned(call: Pick<CallRecord, 'outcome'>): boolean {
  return call.outcome === 'abandoned' || call.outcome === 'short_abandon';
}

/** Whether an abandoned call left within the short-abandon window. */
export function isShortAbandon(call: Pick<CallRecord, 'outcome' | 'queueSeconds'>, shortAbandonSeconds: number): boolean {
  return isAbandoned(call) && (call.queueSeconds ?? 0) <= shortAbandonSeconds;
}

/** Whether `timeZone` is an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Returns the hour of day (0–23) of an instant in an IANA time zone. */
export function hourInTimeZone(formatter: Intl.DateTimeFormat, iso: string): number {
  const hour = formatter.formatToParts(new Date(iso)).find((p) => p.type === 'hour')?.value;
  return Number(hour) % 24;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** Sums over answered and abandoned calls that {@link MetricsAccumulator.addTotals} adds. */
export interface MetricsTotals {
  shortAbandoned: number;
  /** Answered calls whose queue time is at most the service-level threshold. */
  answeredWithinThreshold: number;
  queueSecondsOfAnswered: number;
  /** Answered calls with a talk time. */
  handled: number;
  /** Talk plus wrap-up seconds of those. */
  handleSeconds: number;
}

/**
 * Folds call records and timeline events into {@link CallMetrics} one at a time, so a period
 * of any size can be read in batches with constant memory.
 *
 * @example
 * const acc = new MetricsAccumulator(thresholds);
 * for (const call of periodCalls) acc.addCall(call);
 * for (const event of periodEvents) acc.addEvent(event);
 * const metrics = acc.result(liveCalls, new Date());
 */
export class MetricsAccumulator {
  private offered = 0;
  private answered = 0;
  private abandoned = 0;
  private shortAbandoned = 0;
  private answeredWithinThreshold = 0;
  private queueSecondsOfAnswered = 0;
  private handled = 0;
  private handleSeconds = 0;
  private readonly missed = new Map<string, AgentMissedOffers>();
  private readonly hours: HourlyCalls[] = Array.from({ length: 24 }, (_, hour) => ({ hour, offered: 0, answered: 0, abandoned: 0 }));
  private readonly hourFormat: Intl.DateTimeFormat;

  constructor(readonly thresholds: MetricThresholds) {
    this.hourFormat = new Intl.DateTimeFormat('en-US', { timeZone: thresholds.timeZone, hour: 'numeric', hourCycle: 'h23' });
  }

  /** Counts one call of the period (any state). */
  addCall(call: MetricsCall): void {
    const hour = this.hours[hourInTimeZone(this.hourFormat, call.queuedAt)];
    this.offered++;
    hour.offered++;
    if (isAnswered(call)) {
      const queueSeconds = call.queueSeconds ?? 0;
      this.answered++;
      hour.answered++;
      this.queueSecondsOfAnswered += queueSeconds;
      if (queueSeconds <= this.thresholds.serviceLevelSeconds) this.answeredWithinThreshold++;
      if (call.talkSeconds !== null) {
        this.handled++;
        this.handleSeconds += call.talkSeconds + (call.wrapUpSeconds ?? 0);
      }
    } else if (isAbandoned(call)) {
      this.abandoned++;
      hour.abandoned++;
      if (isShortAbandon(call, this.thresholds.shortAbandonSeconds)) this.shortAbandoned++;
    }
  }

  /**
   * Counts calls already summed elsewhere (the roll-ups): `offered` calls of which `answered`
   * and `abandoned` (short abandons included), queued in local hour `hour` of the time zone.
   * The other figures' parts come with {@link addTotals}.
   */
  addHour(hour: number, counts: Pick<HourlyCalls, 'offered' | 'answered' | 'abandoned'>): void {
    const entry = this.hours[hour];
    entry.offered += counts.offered;
    entry.answered += counts.answered;
    entry.abandoned += counts.abandoned;
    this.offered += counts.offered;
    this.answered += counts.answered;
    this.abandoned += counts.abandoned;
  }

  /** Adds the parts of the figures summed elsewhere (the roll-ups) that {@link addHour} does not carry. */
  addTotals(totals: MetricsTotals): void {
    this.shortAbandoned += totals.shortAbandoned;
    this.answeredWithinThreshold += totals.answeredWithinThreshold;
    this.queueSecondsOfAnswered += totals.queueSecondsOfAnswered;
    this.handled += totals.handled;
    this.handleSeconds += totals.handleSeconds;
  }

  /** Counts `count` missed offers of one agent at once (see {@link addEvent}). */
  addMissed(agentId: string, agentName: string, count: number): void {
    const entry = this.missed.get(agentId) ?? { agentId, agentName, missedOffers: 0 };
    entry.missedOffers += count;
    this.missed.set(agentId, entry);
  }

  /** Counts one timeline event of a call of the period (only `missed` events matter). */
  addEvent(event: MetricsEvent): void {
    if (event.type !== 'missed' || event.actorId === null) return;
    this.addMissed(event.actorId, event.actorName ?? event.actorId, 1);
  }

  /**
   * The figures so far, with the real-time ones taken from `liveCalls` (any calls not yet
   * ended; those not waiting are ignored) at `now`.
   */
  result(liveCalls: readonly Pick<CallRecord, 'state' | 'queuedAt'>[], now: Date): CallMetrics {
    const waiting = liveCalls.filter(isWaiting);
    const oldest = waiting.reduce<number | null>((min, c) => Math.min(min ?? Infinity, Date.parse(c.queuedAt)), null);
    return {
      offered: this.offered,
      answered: this.answered,
      abandoned: this.abandoned,
      shortAbandoned: this.shortAbandoned,
      answerRate: ratio(this.answered, this.offered),
      abandonRate: ratio(this.abandoned, this.offered),
      averageSpeedOfAnswerSeconds: ratio(this.queueSecondsOfAnswered, this.answered),
      averageHandleTimeSeconds: ratio(this.handleSeconds, this.handled),
      serviceLevel: ratio(this.answeredWithinThreshold, this.answered + this.abandoned - this.shortAbandoned),
      missedOffers: [...this.missed.values()]
        .map((m) => ({ ...m }))
        .sort((a, b) => b.missedOffers - a.missedOffers || a.agentName.localeCompare(b.agentName)),
      callsByHour: this.hours.map((h) => ({ ...h })),
      longestCurrentWaitSeconds: oldest === null ? null : Math.max(0, (now.getTime() - oldest) / 1000),
      callsWaiting: waiting.length,
    };
  }
}

/** Everything {@link computeMetrics} needs. */
export interface MetricsInput {
  /** Calls queued in the period. */
  calls: readonly MetricsCall[];
  /** Timeline events of those calls. */
  events: readonly MetricsEvent[];
  /** Calls not yet ended, whatever their queue time (for the real-time figures). */
  liveCalls: readonly Pick<CallRecord, 'state' | 'queuedAt'>[];
  now: Date;
  serviceLevelSeconds?: number;
  shortAbandonSeconds?: number;
  timeZone?: string;
}

/** Every supervisor figure from in-memory records (see {@link MetricsAccumulator} for batches). */
export function computeMetrics(input: MetricsInput): CallMetrics {
  const acc = new MetricsAccumulator({
    serviceLevelSeconds: input.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS,
    shortAbandonSeconds: input.shortAbandonSeconds ?? DEFAULT_SHORT_ABANDON_SECONDS,
    timeZone: input.timeZone ?? 'UTC',
  });
  input.calls.forEach((c) => acc.addCall(c));
  input.events.forEach((e) => acc.addEvent(e));
  return acc.result(input.liveCalls, input.now);
}
