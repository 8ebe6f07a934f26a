import { Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import { judgeQuality, QUALITY_WARNING_TEXT, type CallQualitySummary, type QualityReport, type QualitySample, type QualityWarning, type SessionUser } from '@switchboard/call-domain';
import type { CallQualityTable } from '../database/schema';
import { ProblemException } from '../errors/problem';
import { CallLedger, type LedgerTransaction } from './ledger/call-ledger';
import { SocketRooms } from './socket-rooms';

/**
 * Call quality samples (`reportQuality`): each party's browser sends one every 2 s while its
 * call is in progress. A sample is judged again here from its figures (the browser's MOS is
 * not trusted), added to the call's row in `call_quality` with one upsert (so concurrent
 * samples on any node add up, the database keeps the truth) and sent to supervisors as
 * `callQualityChanged`. Samples are measurements, not moves of the call: they change no call
 * state, presence or deadline. The first sample of a call to cross each warning threshold (the
 * upsert's count of that kind is 1) adds `quality_warning` to the call's timeline in the same
 * ledger transaction: once per kind of warning per call, however many samples cross it afterwards.
 * The first to cross any (its count of warning samples is 1) marks the call `poor_quality` in
 * that transaction too, what the history's `quality=poor` reads (migration 0019).
 */
@Injectable()
export class CallQualityRecorder {
  constructor(
    private readonly rooms: SocketRooms,
    private readonly ledger: CallLedger,
  ) {}

  /**
   * Adds `report` to its call's summary. @throws ProblemException `forbidden` (not a party of
   * the call: its caller or the agent who took it), `invalid_state` (not in progress).
   */
  async record(user: SessionUser, report: QualityReport): Promise<void> {
    const sample = judgeQuality({ rttMs: report.rttMs, jitterMs: report.jitterMs, lossPercent: report.lossPercent });
    // One transaction for the sample and the warnings it is the first to raise: a sample is
    // never counted without its warning reaching the timeline (a failure or a crash between
    // the two would have left the count at 1 and the warning never recorded).
    const at = await this.ledger.run(async (tx) => {
      const call = await tx.call(report.callId);
      if (!call || (call.caller_id !== user.id && call.agent_id !== user.id)) {
        throw new ProblemException('forbidden', 'Only the parties of a call report its quality');
      }
      if (call.state !== 'accepted' && call.state !== 'connected') throw new ProblemException('invalid_state', 'The call is not in progress');
      const totals = await this.addSample(tx, report.callId, sample);
      const counted: Record<QualityWarning, unknown> = {
        'high-rtt': totals.high_rtt_samples,
        'high-jitter': totals.high_jitter_samples,
        'high-packet-loss': totals.high_loss_samples,
        'low-mos': totals.low_mos_samples,
      };
      // One upsert at a time per row: exactly one sample sees the count of warning samples, and
      // each kind's count, reach 1.
      if (Number(totals.warning_samples) === 1) await tx.db.updateTable('calls').set({ poor_quality: 1 }).where('id', '=', report.callId).execute();
      for (const warning of sample.warnings.filter((w) => Number(counted[w]) === 1)) {
        await tx.addEvent(report.callId, 'quality_warning', { id: user.id, name: user.displayName }, QUALITY_WARNING_TEXT[warning]);
      }
      return tx.nowIso;
    });
    this.rooms.toSupervisors().emit('callQualityChanged', { callId: report.callId, quality: { ...sample, at } });
  }

  /** Adds `sample` to the call's row in `call_quality` (one upsert); returns the counts of warning samples and of each warning so far. */
  private addSample(tx: LedgerTransaction, callId: string, sample: QualitySample) {
    const count = (warning: QualityWarning) => (sample.warnings.includes(warning) ? 1 : 0);
    return tx.db
      .insertInto('call_quality')
      .values({
        call_id: callId,
        samples: 1,
        mos_min: sample.mos,
        mos_sum: sample.mos,
        loss_max: sample.lossPercent,
        rtt_max: sample.rttMs,
        jitter_max: sample.jitterMs,
        warning_samples: sample.warnings.length > 0 ? 1 : 0,
        high_rtt_samples: count('high-rtt'),
        high_jitter_samples: count('high-jitter'),
        high_loss_samples: count('high-packet-loss'),
        low_mos_samples: count('low-mos'),
        latest_at: tx.nowIso,
        latest_sample: JSON.stringify(sample),
      })
      .onConflict((oc) =>
        oc.column('call_id').doUpdateSet({
          samples: sql`call_quality.samples + 1`,
          mos_min: sql`case when excluded.mos_min < call_quality.mos_min then excluded.mos_min else call_quality.mos_min end`,
          mos_sum: sql`call_quality.mos_sum + excluded.mos_sum`,
          loss_max: sql`case when excluded.loss_max > call_quality.loss_max then excluded.loss_max else call_quality.loss_max end`,
          rtt_max: sql`case when excluded.rtt_max > coalesce(call_quality.rtt_max, -1) then excluded.rtt_max else call_quality.rtt_max end`,
          jitter_max: sql`case when excluded.jitter_max > call_quality.jitter_max then excluded.jitter_max else call_quality.jitter_max end`,
          warning_samples: sql`call_quality.warning_samples + excluded.warning_samples`,
          high_rtt_samples: sql`call_quality.high_rtt_samples + excluded.high_rtt_samples`,
          high_jitter_samples: sql`call_quality.high_jitter_samples + excluded.high_jitter_samples`,
          high_loss_samples: sql`call_quality.high_loss_samples + excluded.high_loss_samples`,
          low_mos_samples: sql`call_quality.low_mos_samples + excluded.low_mos_samples`,
          latest_at: sql`excluded.latest_at`,
          latest_sample: sql`excluded.latest_sample`,
        }),
      )
      .returning(['warning_samples', 'high_rtt_samples', 'high_jitter_samples', 'high_loss_samples', 'low_mos_samples'])
      .executeTakeFirstOrThrow();
  }
}

/** A stored summary as supervisors see it. */
export function toCallQualitySummary(row: Selectable<CallQualityTable>): CallQualitySummary {
  const samples = Number(row.samples);
  const counts: [QualityWarning, number][] = [
    ['high-rtt', Number(row.high_rtt_samples)],
    ['high-jitter', Number(row.high_jitter_samples)],
    ['high-packet-loss', Number(row.high_loss_samples)],
    ['low-mos', Number(row.low_mos_samples)],
  ];
  return {
    samples,
    minMos: Number(row.mos_min),
    avgMos: Math.round((Number(row.mos_sum) / samples) * 100) / 100,
    maxLossPercent: Number(row.loss_max),
    maxRttMs: row.rtt_max === null ? null : Number(row.rtt_max),
    maxJitterMs: Number(row.jitter_max),
    warningSamples: Number(row.warning_samples),
    warnings: Object.fromEntries(counts.filter(([, n]) => n > 0)),
    poor: Number(row.warning_samples) > 0,
    latest: latestSample(row),
  };
}

/** The latest sample stored in a summary row. */
export function latestSample(row: Pick<Selectable<CallQualityTable>, 'latest_at' | 'latest_sample'>): QualitySample & { at: string } {
  return { ...(JSON.parse(row.latest_sample) as QualitySample), at: row.latest_at };
}
