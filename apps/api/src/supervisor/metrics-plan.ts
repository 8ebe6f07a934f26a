import type { Period } from '@switchboard/call-domain';
import { ROLLUP_BUCKET_MS } from '../calls/ledger/call-rollups';

const HOUR_MS = 3_600_000;

/** A half-open range of instants [from, to) in epoch milliseconds. */
export interface MsRange {
  from: number;
  to: number;
}

/** How a period is read: ranges summed from the roll-ups (whole quarter hours) and ranges read from the raw records. */
export interface MetricsPlan {
  rolled: MsRange[];
  raw: MsRange[];
}

/**
 * Local hours of day of instants in one IANA time zone, from the zone's UTC offset, looked up
 * once per UTC hour (no zone changes its offset twice within an hour).
 */
export class LocalHours {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number | null>();

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  }

  /** The zone's offset from UTC (ms) at `ms`. */
  offsetAt(ms: number): number {
    const parts = Object.fromEntries(this.format.formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
    const local = Date.UTC(parts['year'], parts['month'] - 1, parts['day'], parts['hour'] % 24, parts['minute'], parts['second']);
    return local - Math.floor(ms / 1000) * 1000;
  }

  /**
   * The local hour (0–23) every instant of the quarter hour starting at `bucket` falls in, or
   * null when they do not all fall in one (an offset that is not whole quarter hours, or a
   * change of offset inside the quarter).
   */
  hourOfBucket(bucket: number): number | null {
    const hour = Math.floor(bucket / HOUR_MS) * HOUR_MS;
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      const start = this.offsetAt(hour);
      offset = start === this.offsetAt(hour + HOUR_MS - 1) && start % ROLLUP_BUCKET_MS === 0 ? start : null;
      this.offsets.set(hour, offset);
    }
    if (offset === null) {
      // An hour in which the offset changes: each quarter on its own.
      const start = this.offsetAt(bucket);
      if (start !== this.offsetAt(bucket + ROLLUP_BUCKET_MS - 1) || start % ROLLUP_BUCKET_MS !== 0) return null;
      offset = start;
    }
    return new Date(bucket + offset).getUTCHours();
  }
}

/**
 * Splits `period` into the whole quarter hours the roll-ups serve (each inside one local hour
 * of `hours`' zone, so `callsByHour` stays exact) and the rest, read raw: the edges shorter
 * than a quarter hour, and any quarter that straddles two local hours.
 */
export function planPeriod(period: Period, hours: LocalHours): MetricsPlan {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const first = Math.ceil(from / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
  const last = Math.floor(to / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS;
  const plan: MetricsPlan = { rolled: [], raw: [] };
  const add = (list: MsRange[], range: MsRange) => {
    if (range.from >= range.to) return;
    const tail = list[list.length - 1];
    if (tail && tail.to === range.from) tail.to = range.to;
    else list.push(range);
  };
  if (first >= last) {
    add(plan.raw, { from, to });
    return plan;
  }
  add(plan.raw, { from, to: first });
  for (let bucket = first; bucket < last; bucket += ROLLUP_BUCKET_MS) {
    add(hours.hourOfBucket(bucket) === null ? plan.raw : plan.rolled, { from: bucket, to: bucket + ROLLUP_BUCKET_MS });
  }
  add(plan.raw, { from: last, to });
  return plan;
}
