import type { Period } from '@switchboard/call-domain';
import { ROLLUP_BUCKET_MS } from '../calls/ledger/call-rollups';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A half-open range of instants [from, to) in epoch milliseconds. */
export interface MsRange {
  from: number;
  to: number;
}

/** Whole quarter hours read from the roll-ups, throughout which the zone's offset from UTC is `offset` ms (a whole number of quarter hours). */
export interface RolledRange extends MsRange {
  offset: number;
}

/** How a period is read: ranges summed from the roll-ups (whole quarter hours) and ranges read from the raw records. */
export interface MetricsPlan {
  rolled: RolledRange[];
  raw: MsRange[];
}

/** The local hour of day (0–23) of an instant at `utcMs` in a zone `offset` ms ahead of UTC. */
export function localHourOf(utcMs: number, offset: number): number {
  return Math.floor(((((utcMs + offset) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

/**
 * Local hours of day of instants in one IANA time zone, from the zone's UTC offset, looked up
 * once per UTC hour (no zone changes its offset twice within an hour).
 */
export class LocalHours {
  private readonly format: Intl.DateTimeFormat;
  /** Per UTC hour: the offset throughout it when whole quarter hours, else null. */
  private readonly offsets = new Map<number, number | null>();
  /** Per UTC midnight: the offset then. */
  private readonly dayOffsets = new Map<number, number>();

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  }

  /** The zone's offset from UTC (ms) at `ms`, in whole seconds. */
  offsetAt(ms: number): number {
    // The offset as the formatter writes it ("1/1/2026, GMT+05:45"; "GMT-00:44:30" for local
    // mean time; "GMT" alone for none): a third of the time of reading a local date's parts,
    // and a period of years looks up an offset per day on the event loop.
    const offset = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(this.format.format(ms));
    if (!offset) throw new Error(`No offset from UTC in "${this.format.format(ms)}"`);
    const [, sign, hours = '0', minutes = '0', secs = '0'] = offset;
    return (sign === '-' ? -1 : 1) * ((Number(hours) * 60 + Number(minutes)) * 60 + Number(secs)) * 1000;
  }

  /**
   * The local hour (0–23) every instant of the quarter hour starting at `bucket` falls in, or
   * null when they do not all fall in one (an offset that is not whole quarter hours, or a
   * change of offset inside the quarter).
   */
  hourOfBucket(bucket: number): number | null {
    const offset = this.offsetOfBucket(bucket);
    return offset === null ? null : localHourOf(bucket, offset);
  }

  /** The zone's offset throughout the quarter hour starting at `bucket`, or null as for {@link hourOfBucket}. */
  offsetOfBucket(bucket: number): number | null {
    const hour = Math.floor(bucket / HOUR_MS) * HOUR_MS;
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const start = this.offsetAt(hour);
      offset = start === this.offsetAt(hour + HOUR_MS - 1) && start % ROLLUP_BUCKET_MS === 0 ? start : null;
      this.offsets.set(hour, offset);
    }
    if (offset !== null) return offset;
    // An hour in which the offset changes: each quarter on its own.
    const start = this.offsetAt(bucket);
    return start === this.offsetAt(bucket + ROLLUP_BUCKET_MS - 1) && start % ROLLUP_BUCKET_MS === 0 ? start : null;
  }

  /**
   * The zone's offset throughout the UTC day that starts at `day`, when it is the same at its
   * start and at the next day's; null otherwise. No zone changes its offset and back within a
   * day (none does from 1800 to 2100; the spec checks every zone Node knows from 2000 to 2050
   * for a change and back lasting 6 days or more, or next to another change: an isolated one
   * shorter than that, between two of its scans, would pass it); a change exactly at the next
   * midnight only sends this day through quarter by quarter.
   */
  offsetOfDay(day: number): number | null {
    const start = this.offsetAtCached(day);
    return start === this.offsetAtCached(day + DAY_MS) ? start : null;
  }

  /** The zone's offset at `ms` (a UTC midnight), looked up once. */
  private offsetAtCached(ms: number): number {
    let offset = this.dayOffsets.get(ms);
    if (offset === undefined) this.dayOffsets.set(ms, (offset = this.offsetAt(ms)));
    return offset;
  }
}

/**
 * Splits `period` into the whole quarter hours the roll-ups serve (each inside one local hour
 * of `hours`' zone, so `callsByHour` stays exact), in ranges of one offset from UTC, and the
 * rest, read raw: the edges shorter than a quarter hour, and any quarter that straddles two
 * local hours. A day whose offset does not change is one step (years of them take
 * milliseconds); a day with a change goes quarter by quarter.
 */
export function planPeriod(period: Period, hours: LocalHours): MetricsPlan {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const first = Math.ceil(from / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
  const last = Math.floor(to / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
  const plan: MetricsPlan = { rolled: [], raw: [] };
  const add = <R extends MsRange>(list: R[], range: R, same: (a: R, b: R) => boolean = () => true) => {
    if (range.from >= range.to) return;
    const tail = list[list.length - 1];
    if (tail && tail.to === range.from && same(tail, range)) tail.to = range.to;
    else list.push(range);
  };
  const roll = (range: RolledRange) => add(plan.rolled, range, (a, b) => a.offset === b.offset);
  if (first >= last) {
    add(plan.raw, { from, to });
    return plan;
  }
  add(plan.raw, { from, to: first });
  for (let start = first; start < last; ) {
    const day = Math.floor(start / DAY_MS) * DAY_MS;
    const end = Math.min(last, day + DAY_MS);
    const offset = hours.offsetOfDay(day);
    if (offset !== null && offset % ROLLUP_BUCKET_MS === 0) roll({ from: start, to: end, offset });
    // A steady offset of minutes and seconds (local mean time, before about 1900; Monrovia until
    // 1972): read raw, as each of its quarters would be — in one step, not 96.
    else if (offset !== null) add(plan.raw, { from: start, to: end });
    else {
      for (let bucket = start; bucket < end; bucket += ROLLUP_BUCKET_MS) {
        const quarter = { from: bucket, to: bucket + ROLLUP_BUCKET_MS };
        const inQuarter = hours.offsetOfBucket(bucket);
        if (inQuarter === null) add(plan.raw, quarter);
        else roll({ ...quarter, offset: inQuarter });
      }
    }
    start = end;
  }
  add(plan.raw, { from: last, to });
  return plan;
}
