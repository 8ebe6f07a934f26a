import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { AudioDevices } from './audio-devices';
import { DeviceSelect } from './device-select';

/** The level (0–100) from which the check says "We can hear you". */
export const HEARD_LEVEL = 10;
/** How often the level is read (ms). */
const LEVEL_EVERY_MS = 100;

/**
 * The student's microphone check before calling: **Test microphone** opens the chosen
 * microphone (asking the permission), lists the microphones to choose from, shows the live
 * level (a `meter` with its value in words) and says "We can hear you" once the level
 * crossed {@link HEARD_LEVEL}. The choice is remembered in the browser ({@link AudioDevices})
 * and used by the call. The test releases the microphone when stopped or left.
 */
@Component({
  selector: 'sb-microphone-check',
  imports: [MatButtonModule, MatIconModule, DeviceSelect],
  template: `
    <section aria-labelledby="microphone-check-heading">
      <h2 id="microphone-check-heading">Check your microphone</h2>
      @if (running()) {
        <sb-device-select label="Microphone" [devices]="devices.microphones()" [value]="devices.microphoneId()" (chosen)="choose($event)" />
        <div
          class="meter"
          role="meter"
          aria-label="Microphone level"
          aria-valuemin="0"
          aria-valuemax="100"
          [attr.aria-valuenow]="level()"
          [attr.aria-valuetext]="levelText()"
        >
          <div class="bar" [class.heard]="level() >= heardLevel" [style.width.%]="level()"></div>
        </div>
        <p class="level-text" aria-hidden="true">{{ levelText() }}</p>
        <p class="verdict" role="status">{{ heard() ? 'We can hear you.' : 'Say something: the bar should move.' }}</p>
        <button matButton="outlined" type="button" (click)="stop()">Stop the test</button>
      } @else {
        <p>Test your microphone before you call: choose it and see that we can hear you.</p>
        <button matButton="outlined" type="button" (click)="start()">
          <mat-icon aria-hidden="true">mic</mat-icon>
          Test microphone
        </button>
      }
      @if (error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      }
    </section>
  `,
  styles: `
    :host,
    section {
      display: grid;
      justify-items: start;
      gap: 8px;
    }
    h2,
    p {
      margin: 0;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
    .meter {
      width: min(320px, 80vw);
      height: 12px;
      border-radius: 6px;
      background: var(--mat-sys-surface-container-highest);
      overflow: hidden;
    }
    .bar {
      height: 100%;
      background: var(--mat-sys-outline);
      transition: width 80ms linear;
    }
    .bar.heard {
      background: var(--mat-sys-primary);
    }
    .level-text {
      font: var(--mat-sys-body-small);
    }
    .verdict {
      font: var(--mat-sys-body-large);
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MicrophoneCheck {
  protected readonly devices = inject(AudioDevices);
  protected readonly heardLevel = HEARD_LEVEL;
  /** Whether the test is running (the microphone is open). */
  protected readonly running = signal(false);
  /** The microphone's level, 0–100. */
  protected readonly level = signal(0);
  /** Whether the level crossed {@link HEARD_LEVEL} since the test (or the device) started. */
  protected readonly heard = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly levelText = computed(() => `Level ${this.level()} %`);

  private meter: { stream: MediaStream; context: AudioContext; timer: ReturnType<typeof setInterval> } | null = null;
  /** Counts the starts, so that a slow start that was overtaken releases what it opened. */
  private generation = 0;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /** Opens the chosen microphone and shows its level. */
  async start(deviceId?: string): Promise<void> {
    const generation = ++this.generation;
    this.error.set(null);
    // Created in the click, so the browser lets it run.
    const context = new AudioContext();
    let stream: MediaStream;
    try {
      stream = await this.devices.openMicrophone(deviceId);
    } catch (error) {
      void context.close();
      if (generation === this.generation) this.error.set(microphoneTrouble(error));
      return;
    }
    if (generation !== this.generation) {
      for (const track of stream.getTracks()) track.stop();
      void context.close();
      return;
    }
    this.release();
    const analyser = context.createAnalyser();
    analyser.fftSize = 4096; // ~85 ms at 48 kHz: nothing between two reads is missed
    context.createMediaStreamSource(stream).connect(analyser);
    void context.resume();
    const samples = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const level = levelOf(samples);
      this.level.set(level);
      if (level >= HEARD_LEVEL) this.heard.set(true);
    }, LEVEL_EVERY_MS);
    this.meter = { stream, context, timer };
    this.running.set(true);
  }

  /** Stops the test and releases the microphone. */
  stop(): void {
    this.generation++;
    this.release();
    this.running.set(false);
    this.level.set(0);
    this.heard.set(false);
  }

  /** Chooses (and remembers) another microphone, and tests it from scratch. */
  protected choose(deviceId: string): void {
    this.devices.chooseMicrophone(deviceId);
    this.heard.set(false);
    this.level.set(0);
    void this.start(deviceId);
  }

  private release(): void {
    if (!this.meter) return;
    clearInterval(this.meter.timer);
    for (const track of this.meter.stream.getTracks()) track.stop();
    void this.meter.context.close();
    this.meter = null;
  }
}

/**
 * The level of a block of samples, 0–100: their peak, scaled so a normal voice fills most of
 * the bar. A peak (not an average) so that a short sound is seen: each block holds about the
 * time between two reads ({@link LEVEL_EVERY_MS}).
 */
export function levelOf(samples: Float32Array): number {
  let peak = 0;
  for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
  return Math.min(100, Math.round(peak * 200));
}

/** What the check says when the microphone could not be opened. */
function microphoneTrouble(error: unknown): string {
  if (error instanceof DOMException && error.name === 'NotAllowedError') {
    return 'Your browser is blocking the microphone. Allow it in the site settings (the icon left of the address bar).';
  }
  return 'The microphone could not be opened. Check that one is connected.';
}
