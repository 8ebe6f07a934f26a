import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { judgeQuality, type QualitySample } from '@switchboard/call-domain';
import { Clock } from '../clock/clock';
import { CALL_FAILED_MESSAGE, CallPanel, type CallPanelState } from './call-panel';
import { CallPanelHarness } from './testing/call-panel-harness';

@Component({
  imports: [CallPanel],
  template: `
    <sb-call-panel
      peerName="Sam Student"
      [state]="state()"
      [muted]="muted()"
      [remoteStream]="stream()"
      [focusOnOpen]="focusOnOpen()"
      [quality]="quality()"
      (muteToggled)="muted.set($event)"
      (hungUp)="hangUps = hangUps + 1"
    />
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class TestHost {
  readonly state = signal<CallPanelState>('connecting');
  readonly muted = signal(false);
  readonly stream = signal<MediaStream | null>(null);
  readonly focusOnOpen = signal(false);
  readonly quality = signal<QualitySample | null>(null);
  hangUps = 0;
}

describe('CallPanel', () => {
  let host: TestHost;
  let panel: CallPanelHarness;
  /** The app's clock, moved by hand. */
  const now = signal(1_000_000);

  beforeEach(async () => {
    now.set(1_000_000);
    TestBed.configureTestingModule({ providers: [{ provide: Clock, useValue: { now: now.asReadonly() } satisfies Clock }] });
    const fixture = TestBed.createComponent(TestHost);
    host = fixture.componentInstance;
    panel = await TestbedHarnessEnvironment.harnessForFixture(fixture, CallPanelHarness);
  });

  it("shows the other party's name and Connecting… until media connects", async () => {
    expect(await panel.getPeerName()).toBe('Sam Student');
    expect(await panel.getStatusText()).toBe('Connecting…');
    expect(await panel.getTalkTime()).toBeNull();
  });

  it('shows the call quality and its warning while the call is live, and no longer once it ended', async () => {
    host.state.set('connected');
    host.quality.set(judgeQuality({ rttMs: 20, jitterMs: 5, lossPercent: 20 }));
    const quality = await panel.getQuality();
    expect(await quality?.getQualityText()).toBe('Call quality: poor (MOS 2.3)');
    expect(await quality?.getWarning()).toBe('Warning: packet loss, low MOS');
    host.state.set('ended');
    expect(await panel.getQuality()).toBeNull();
  });

  it('counts the talk time up on the clock from when it saw the call connect', async () => {
    now.update((t) => t + 30_000); // time spent connecting does not count
    host.state.set('connected');
    expect(await panel.getTalkTime()).toBe('00:00');
    now.update((t) => t + 65_000);
    expect(await panel.getTalkTime()).toBe('01:05');
    now.update((t) => t + 1_000);
    expect(await panel.getTalkTime()).toBe('01:06');
  });

  it('keeps counting from the first connect when media reconnects', async () => {
    host.state.set('connected');
    expect(await panel.getTalkTime()).toBe('00:00');
    now.update((t) => t + 10_000);
    host.state.set('connecting');
    expect(await panel.getStatusText()).toBe('Connecting…');
    now.update((t) => t + 5_000);
    host.state.set('connected');
    expect(await panel.getTalkTime()).toBe('00:15');
  });

  it('toggles Mute with aria-pressed under one fixed label', async () => {
    expect(await panel.isMuted()).toBeFalse();
    await panel.toggleMute();
    expect(host.muted()).toBeTrue();
    expect(await panel.isMuted()).toBeTrue();
    const mute = document.querySelector('sb-call-panel button.mute') as HTMLButtonElement;
    expect(mute.textContent?.replace('mic_off', '').trim()).withContext('not "Unmute" and pressed').toBe('Mute');
    await panel.toggleMute();
    expect(await panel.isMuted()).toBeFalse();
  });

  it('takes the focus on Mute when it opens only if asked to (the agent accepted)', async () => {
    expect(await panel.isMuteFocused()).toBeFalse();
    const fixture = TestBed.createComponent(TestHost);
    fixture.componentInstance.focusOnOpen.set(true);
    const focused = await TestbedHarnessEnvironment.harnessForFixture(fixture, CallPanelHarness);
    await fixture.whenStable();
    expect(await focused.isMuteFocused()).toBeTrue();
  });

  it('emits hungUp on Hang up', async () => {
    await panel.hangUp();
    expect(host.hangUps).toBe(1);
  });

  it('says the call failed when media could not be set up', async () => {
    host.state.set('failed');
    expect(await panel.getStatusText()).toBe(CALL_FAILED_MESSAGE);
    expect(CALL_FAILED_MESSAGE).toBe('Call failed — the connection could not be established');
  });

  it("plays the far end's stream in an autoplaying audio element", async () => {
    const stream = new MediaStream();
    host.stream.set(stream);
    await panel.getPeerName();
    const audio = document.querySelector('sb-call-panel audio') as HTMLAudioElement;
    expect(audio.autoplay).toBeTrue();
    expect(audio.srcObject).toBe(stream);
  });

  it('is found by the name of the other party', async () => {
    const fixture = TestBed.createComponent(TestHost);
    const loader = TestbedHarnessEnvironment.loader(fixture);
    expect(await loader.getHarnessOrNull(CallPanelHarness.with({ peerName: 'Sam Student' }))).not.toBeNull();
    expect(await loader.getHarnessOrNull(CallPanelHarness.with({ peerName: 'Nobody' }))).toBeNull();
  });
});
