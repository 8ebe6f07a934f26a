import { computeMetrics } from '@switchboard/call-domain';
import { generateMonth, type GeneratedCall, type MonthOptions, type SeedPerson } from './month-generator';

const people = (prefix: string, n: number): SeedPerson[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, displayName: `${prefix} ${i}` }));
const OPTIONS: MonthOptions = {
  seed: 42,
  days: 28,
  callsPerDay: 240,
  end: new Date('2026-11-23T00:00:00Z'),
  agents: people('agent', 6),
  students: people('student', 40),
  supervisors: people('supervisor', 1),
  dispositions: ['Resolved', 'Other'],
};
const at = (c: GeneratedCall, type: string) => c.timeline.find((e) => e.type === type)?.at ?? '';
const ms = (iso: string | null) => Date.parse(iso ?? '');
const month = (options: MonthOptions = OPTIONS): GeneratedCall[] => [...generateMonth(options)].flat();

describe('generateMonth', () => {
  const calls = month();

  it('is deterministic for a seed and differs between seeds', () => {
    expect(month()).toEqual(calls);
    expect(month({ ...OPTIONS, seed: 43 })[0].record.id).not.toBe(calls[0].record.id);
  });

  it('stays inside the period, in queue order', () => {
    const times = calls.map((c) => c.record.queuedAt);
    expect(times).toEqual([...times].sort());
    expect(times[0] >= '2026-10-26T00:00:00.000Z' && times[times.length - 1] < '2026-11-23T00:00:00.000Z').toBeTrue();
  });

  it('gives every call a coherent timeline', () => {
    for (const c of calls) {
      const { record, timeline } = c;
      const types = timeline.map((e) => e.type);
      expect(types[0]).toBe('queued');
      expect(timeline.map((e) => e.at)).toEqual(timeline.map((e) => e.at).sort());
      expect(types.filter((t) => t === 'ended').length).toBe(1);
      expect(at(c, 'ended')).toBe(record.endedAt ?? 'missing');
      if (record.outcome === 'answered') {
        expect(types.slice(-4)).toEqual(['accepted', 'connected', 'ended', 'wrap_up_saved']);
        expect(timeline.find((e) => e.type === 'accepted')?.actorId).toBe(record.agentId ?? 'missing');
        expect(record.queueSeconds).toBe((ms(record.answeredAt) - ms(record.queuedAt)) / 1000);
        expect(record.talkSeconds).toBe((ms(record.endedAt) - ms(record.connectedAt)) / 1000);
        expect(record.wrapUpSeconds).toBe((ms(at(c, 'wrap_up_saved')) - ms(record.endedAt)) / 1000);
      } else if (record.outcome !== 'failed') {
        expect(record.queueSeconds).toBe((ms(record.endedAt) - ms(record.queuedAt)) / 1000);
      }
    }
  });

  it('mixes outcomes plausibly, with busy hours and weekdays', () => {
    const share = (o: string) => calls.filter((c) => c.record.outcome === o).length / calls.length;
    expect(share('answered')).toBeGreaterThan(0.7);
    for (const o of ['abandoned', 'short_abandon', 'unanswered', 'failed']) expect(share(o)).withContext(o).toBeGreaterThan(0);
    const m = computeMetrics({ calls: calls.map((c) => c.record), events: calls.flatMap((c) => c.timeline), liveCalls: [], now: new Date() });
    expect(m.serviceLevel).toBeGreaterThan(0.4);
    expect(m.missedOffers.length).toBeGreaterThan(3);
    const byHour = m.callsByHour.map((h) => h.offered);
    expect(byHour[10] + byHour[11]).toBeGreaterThan(byHour[8] + byHour[9]);
    expect(byHour[3]).toBe(0);
    expect(calls.filter((c) => c.callback?.doneAt).length).toBeGreaterThan(calls.filter((c) => c.callback && !c.callback.doneAt).length);
  });
});
