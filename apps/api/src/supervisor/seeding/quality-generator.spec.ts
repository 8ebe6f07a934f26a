import { QUALITY_WARNING_TEXT } from '@switchboard/call-domain';
import { generateMonth, type MonthOptions, type SeedPerson } from './month-generator';
import { SEED_POOR_SHARE, SEED_QUALITY_SHARE, withGeneratedQuality } from './quality-generator';
import { SeededRandom } from './random';

const people = (prefix: string, n: number): SeedPerson[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, displayName: `${prefix} ${i}` }));
const OPTIONS: MonthOptions = {
  seed: 7,
  days: 60,
  callsPerDay: 400,
  end: new Date('2026-11-23T00:00:00Z'),
  agents: people('agent', 6),
  students: people('student', 40),
  supervisors: people('supervisor', 1),
  dispositions: ['Resolved'],
};

describe('withGeneratedQuality', () => {
  const calls = [...generateMonth(OPTIONS)].flat();
  const random = new SeededRandom(1);
  const rated = calls.map((c) => withGeneratedQuality(c, random));

  it('gives a share of the calls that talked a quality summary, a few of them poor, with their warnings in the timeline', () => {
    const talked = calls.filter((c) => c.record.talkSeconds !== null).length;
    const summaries = rated.flatMap((c) => (c.quality ? [c] : []));
    const poor = summaries.filter((c) => Number(c.quality?.warning_samples) > 0);
    expect(summaries.length / talked).toBeCloseTo(SEED_QUALITY_SHARE, 1);
    expect(poor.length).toBeGreaterThan(0);
    expect(poor.length / summaries.length).toBeLessThan(SEED_POOR_SHARE * 2);
    for (const [i, call] of rated.entries()) {
      const { quality, timeline, record } = call;
      const warnings = timeline.filter((e) => e.type === 'quality_warning');
      expect(timeline.map((e) => e.at)).toEqual(timeline.map((e) => e.at).sort());
      if (!quality) {
        expect(call).toBe(calls[i]);
        continue;
      }
      expect(record.talkSeconds).not.toBeNull();
      expect(quality.call_id).toBe(record.id);
      const kinds = { 'high delay': quality.high_rtt_samples, 'high jitter': quality.high_jitter_samples, 'packet loss': quality.high_loss_samples, 'low MOS': quality.low_mos_samples };
      if (Number(quality.warning_samples) === 0) {
        expect(warnings).toEqual([]);
        expect(Object.values(kinds)).toEqual([0, 0, 0, 0]);
        continue;
      }
      // Poor: packet loss at least, each kind counted in the summary once in the timeline, by the caller.
      expect(quality.high_loss_samples).toBe(quality.warning_samples);
      expect(warnings.map((e) => e.detail).sort()).toEqual(Object.entries(kinds).flatMap(([text, n]) => (Number(n) > 0 ? [text] : [])).sort());
      expect(warnings.every((e) => e.actorId === record.callerId && Object.values(QUALITY_WARNING_TEXT).includes(e.detail as string))).toBeTrue();
      expect(timeline.length).toBe(calls[i].timeline.length + warnings.length);
    }
  });
});
