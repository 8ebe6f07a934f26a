import { LocalHours, localHourOf, planPeriod } from './metrics-plan';

const ms = (iso: string) => Date.parse(iso);

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

  it('reads days of local mean time raw in one step each, as their quarters would be', () => {
    // Berlin kept +0:53:28 until April 1893: 13 years of it planned at once.
    const plan = planPeriod({ from: '1880-01-01T00:00:00.000Z', to: '1893-01-01T00:00:00.000Z' }, new LocalHours('Europe/Berlin'));
    expect(plan).toEqual({ rolled: [], raw: [{ from: ms('1880-01-01T00:00:00.000Z'), to: ms('1893-01-01T00:00:00.000Z') }] });
    const reference = new LocalHours('Europe/Berlin');
    for (let bucket = ms('1880-01-01T00:00:00.000Z'); bucket < ms('1880-01-03T00:00:00.000Z'); bucket += 15 * 60_000) expect(reference.hourOfBucket(bucket)).toBeNull();
  });
});
