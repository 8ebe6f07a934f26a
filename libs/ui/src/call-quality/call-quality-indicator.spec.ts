import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { judgeQuality, type QualitySample } from '@switchboard/call-domain';
import { CallQualityIndicator } from './call-quality-indicator';
import { CallQualityHarness } from './testing/call-quality-harness';

@Component({
  imports: [CallQualityIndicator],
  template: `<sb-call-quality [quality]="quality()" />`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class TestHost {
  readonly quality = signal<QualitySample | null>(null);
}

describe('CallQualityIndicator', () => {
  let host: TestHost;
  let indicator: CallQualityHarness;

  beforeEach(async () => {
    const fixture = TestBed.createComponent(TestHost);
    host = fixture.componentInstance;
    indicator = await TestbedHarnessEnvironment.harnessForFixture(fixture, CallQualityHarness);
  });

  it('says nothing before the first sample, but its warning live region is already there', async () => {
    expect(await indicator.getQualityText()).toBeNull();
    expect(await indicator.getWarning()).toBe('');
    expect(await indicator.isWarningLive()).toBeTrue();
  });

  it('says "good" in words with the MOS on a clean path, and warns of nothing', async () => {
    host.quality.set(judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 0 }));
    expect(await indicator.getQualityText()).toBe('Call quality: good (MOS 4.4)');
    expect(await indicator.getWarning()).toBe('');
  });

  it('says "fair" and names the threshold crossed (packet loss over 3 %)', async () => {
    host.quality.set(judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 10 }));
    expect(await indicator.getQualityText()).toBe('Call quality: fair (MOS 3.5)');
    expect(await indicator.getWarning()).toBe('Warning: packet loss');
  });

  it('says "poor" with every warning when MOS falls below 3.5, and clears the warning once the path recovers', async () => {
    host.quality.set(judgeQuality({ rttMs: 450, jitterMs: 40, lossPercent: 20 }));
    expect(await indicator.getQualityText()).toMatch(/^Call quality: poor \(MOS 1\.\d\)$/);
    expect(await indicator.getWarning()).toBe('Warning: high delay, high jitter, packet loss, low MOS');
    host.quality.set(judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 0 }));
    expect(await indicator.getWarning()).toBe('');
  });
});
