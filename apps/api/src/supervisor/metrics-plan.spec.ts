import { LocalHours, localHourOf, planPeriod } from './metrics-plan';

const ms = (iso: string) => Date.parse(iso);
const DAY_MS = 86_400_000;

/**
 * The instants at which `offsetAt` changes in [from, to), to `resolution` ms (the tz database's
 * changes fall on whole seconds): a scan at `step`, and a bisection of every step whose ends
 * differ into each half whose ends differ. A change and back inside one step shows only when
 * another change falls in that step too.
 */
function changesOf(offsetAt: (ms: number) => number, from: number, to: number, step: number, resolution = 1000): number[] {
  const changes: number[] = [];
  const split = (a: number, before: number, b: number, after: number): void => {
    if (b - a <= resolution) {
      changes.push(b);
      return;
    }
    const middle = a + Math.floor((b - a) / 2 / resolution) * resolution;
    const then = offsetAt(middle);
    if (then !== before) split(a, before, middle, then);
    if (then !== after) split(middle, then, b, after);
  };
  let offset = offsetAt(from);
  for (let at = from; at < to; ) {
    const next = Math.min(to, at + step);
    const then = offsetAt(next);
    if (then !== offset) split(at, offset, next, then);
    [at, offset] = [next, then];
  }
  return changes;
}

/**
 * The days (UTC midnights) that `hours.offsetOfDay` gives one offset for although the offset
 * changes inside them, between `from` and `to`: the changes a scan every 6 days finds (a
 * change and back lasting that long or more, or any change that stays), then every hour of
 * each one's UTC day and the days before and after it scanned again, to the second (a change
 * and back next to another change, as a new rule next to one of summer time would be).
 */
function daysMisread(hours: LocalHours, offsetAt: (ms: number) => number, from: number, to: number): string[] {
  const coarse = changesOf(offsetAt, from, to, 6 * DAY_MS, 3_600_000);
  const days = new Set(coarse.map((change) => Math.floor(change / DAY_MS) * DAY_MS));
  const changes = new Set([...days].flatMap((day) => changesOf(offsetAt, day - DAY_MS, day + 2 * DAY_MS, 3_600_000)));
  return [...changes].flatMap((change) => {
    const day = Math.floor(change / DAY_MS) * DAY_MS;
    return change !== day && hours.offsetOfDay(day) !== null ? [`${new Date(day).toISOString().slice(0, 10)} (a change at ${new Date(change).toISOString()})`] : [];
  });
}

describe('metrics plan', () => {
  it('reads whole quarter hours from the roll-ups and the shorter edges raw', () => {
    const plan = planPeriod({ from: '2026-11-10T09:07:13.250Z', to: '2026-11-12T16:52:00.001Z' }, new LocalHours('UTC'));
    expect(plan.rolled).toEqual([{ from: ms('2026-11-10T09:15:00.000Z'), to: ms('2026-11-12T16:45:00.000Z'), offset: 0 }]);
    expect(plan.raw).toEqual([
      { from: ms('2026-11-10T09:07:13.250Z'), to: ms('2026-11-10T09:15:00.000Z') },
      { from: ms('2026-11-12T16:45:00.000Z'), to: ms('2026-11-12T16:52:00.001Z') },
    ]);
    const short = planPeriod({ from: '2026-11-05T11:50:00.000Z', to: '2026-11-05T12:05:00.000Z' }, new LocalHours('UTC'));
    expect(short).toEqual({ rolled: [], raw: [{ from: ms('2026-11-05T11:50:00.000Z'), to: ms('2026-11-05T12:05:00.000Z') }] });
  });

  it('gives each quarter its local hour in zones with quarter- and half-hour offsets and across a change of summer time', () => {
    const kathmandu = new LocalHours('Asia/Kathmandu'); // +5:45
    expect(kathmandu.hourOfBucket(ms('2026-11-10T00:00:00.000Z'))).toBe(5);
    expect(kathmandu.hourOfBucket(ms('2026-11-10T00:15:00.000Z'))).toBe(6);
    const stJohns = new LocalHours('America/St_Johns'); // −2:30, then −3:30 from 1 November 2026
    expect(stJohns.hourOfBucket(ms('2026-10-31T12:30:00.000Z'))).toBe(10);
    expect(stJohns.hourOfBucket(ms('2026-11-02T12:30:00.000Z'))).toBe(9);
    const newYork = new LocalHours('America/New_York'); // 02:00 EDT becomes 01:00 EST at 06:00 UTC
    expect(newYork.hourOfBucket(ms('2026-11-01T05:45:00.000Z'))).toBe(1);
    expect(newYork.hourOfBucket(ms('2026-11-01T06:00:00.000Z'))).toBe(1);
    expect(newYork.hourOfBucket(ms('2026-11-01T07:00:00.000Z'))).toBe(2);
  });

  it('reads raw any quarter that does not lie in one local hour (an offset of minutes and seconds)', () => {
    // Liberia kept Monrovia mean time, −0:44:30, until 1972.
    const plan = planPeriod({ from: '1970-01-06T00:00:00.000Z', to: '1970-01-06T02:00:00.000Z' }, new LocalHours('Africa/Monrovia'));
    expect(plan.rolled).toEqual([]);
    expect(plan.raw).toEqual([{ from: ms('1970-01-06T00:00:00.000Z'), to: ms('1970-01-06T02:00:00.000Z') }]);
  });

  it('plans years as one range per offset, each quarter in the local hour it would have on its own', () => {
    for (const zone of ['Europe/Berlin', 'America/St_Johns', 'Asia/Kathmandu', 'America/New_York']) {
      const period = { from: '2024-01-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' };
      const plan = planPeriod(period, new LocalHours(zone));
      // Two years: at most a range per change of summer time and a few quarters around each.
      expect(plan.rolled.length).withContext(zone).toBeLessThanOrEqual(3 * 4 + 1);
      expect(plan.raw).withContext(zone).toEqual([]);
      expect(plan.rolled[0].from).toBe(ms(period.from));
      expect(plan.rolled[plan.rolled.length - 1].to).toBe(ms(period.to));
      // One after the other: no day dropped or read twice.
      plan.rolled.slice(1).forEach((range, i) => expect(range.from).withContext(zone).toBe(plan.rolled[i].to));
      // Every quarter, against a fresh lookup of its own.
      const reference = new LocalHours(zone);
      for (const range of plan.rolled) {
        for (let bucket = range.from; bucket < range.to; bucket += 15 * 60_000) {
          if (localHourOf(bucket, range.offset) !== reference.hourOfBucket(bucket)) fail(`${zone} ${new Date(bucket).toISOString()}`);
        }
      }
    }
  });

  it('finds no zone Node knows changing its offset and back within a UTC day (what offsetOfDay assumes), 2000 to 2050', () => {
    // offsetOfDay takes a day whose two midnights have one offset as having it throughout.
    // Every change and back in the tz database since 1970 lasts a week or more (Brazil's
    // north-east in October 2000, Gaza's projected Ramadan breaks): a scan every 6 days finds
    // them all, and each change's neighbourhood is then read hour by hour (daysMisread).
    const from = ms('2000-01-01T00:00:00.000Z');
    const to = ms('2050-01-01T00:00:00.000Z');
    // A Berlin that would also go to +3 for three hours on the day after its change in March 2030 is caught.
    const berlin = new LocalHours('Europe/Berlin');
    const [excursionFrom, excursionTo] = [ms('2030-04-01T10:00:00.000Z'), ms('2030-04-01T13:00:00.000Z')];
    const broken = (t: number) => (t >= excursionFrom && t < excursionTo ? 3 * 3_600_000 : berlin.offsetAt(t));
    const brokenHours = Object.assign(new LocalHours('Europe/Berlin'), { offsetAt: broken });
    expect(daysMisread(brokenHours, broken, from, to)).toEqual(['2030-04-01 (a change at 2030-04-01T10:00:00.000Z)', '2030-04-01 (a change at 2030-04-01T13:00:00.000Z)']);
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    for (const zone of zones) {
      const hours = new LocalHours(zone);
      expect(daysMisread(hours, (t) => hours.offsetAt(t), from, to)).withContext(zone).toEqual([]);
    }
  });

  it('reads days of local mean time raw in one step each, as their quarters would be', () => {
    // Berlin kept +0:53:28 until April 1893: 13 years of it planned at once.
    const plan = planPeriod({ from: '1880-01-01T00:00:00.000Z', to: '1893-01-01T00:00:00.000Z' }, new LocalHours('Europe/Berlin'));
    expect(plan).toEqual({ rolled: [], raw: [{ from: ms('1880-01-01T00:00:00.000Z'), to: ms('1893-01-01T00:00:00.000Z') }] });
    const reference = new LocalHours('Europe/Berlin');
    for (let bucket = ms('1880-01-01T00:00:00.000Z'); bucket < ms('1880-01-03T00:00:00.000Z'); bucket += 15 * 60_000) expect(reference.hourOfBucket(bucket)).toBeNull();
  });
});
