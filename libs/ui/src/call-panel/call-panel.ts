import { ChangeDetectionStrategy, Component, ElementRef, afterNextRender, computed, effect, inject, input, output, signal, untracked, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import type { QualitySample } from '@switchboard/call-domain';
import { CallQualityIndicator } from '../call-quality/call-quality-indicator';
import { Clock, elapsedSince } from '../clock/clock';
import { formatDuration } from '../duration/format-duration';

/** Where the call's media stands, as the panel shows it (the signaling library's `CallSessionState`). */
export type CallPanelState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'ended';

/** What the panel says when media could not be set up. */
export const CALL_FAILED_MESSAGE = 'Call failed — the connection could not be established';

/**
 * The call in progress, the same for the student and the agent: who is on the other end,
 * "Connecting…" until media connects, then the talk time counting up (mm:ss on the app's
 * {@link Clock}, from when the panel saw the call connect; "Reconnecting…" while the network
 * path is being restored), **Mute** (a toggle button: one fixed label, `aria-pressed` and its
 * icon say whether the microphone is muted) and
 * **Hang up**; while the call is live, its quality in words with any warning (`sb-call-quality`). It plays the far end's audio in an `<audio autoplay>`.
 *
 * It owns no call: the page passes the session's state in and acts on `muteToggled` and
 * `hungUp`.
 */
@Component({
  selector: 'sb-call-panel',
  imports: [MatButtonModule, MatIconModule, CallQualityIndicator],
  template: `
    <h2 class="peer" [id]="headingId">{{ peerName() }}</h2>
    @switch (state()) {
      @case ('connecting') {
        <p class="status" role="status">Connecting…</p>
      }
      @case ('connected') {
        <p class="status">
          <span class="visually-hidden">Talk time </span>
          <span class="timer" role="timer">{{ elapsed() }}</span>
        </p>
      }
      @case ('reconnecting') {
        <p class="status reconnecting" role="status">Reconnecting…</p>
      }
      @case ('failed') {
        <p class="status failed" role="alert">{{ failedMessage }}</p>
      }
      @case ('ended') {
        <p class="status" role="status">Call ended</p>
      }
    }
    @if (live()) {
      <sb-call-quality [quality]="quality()" />
    }
    <div class="actions">
      <button
        #muteButton
        matButton="tonal"
        class="mute"
        type="button"
        [attr.aria-pressed]="muted()"
        [disabled]="!live()"
        (click)="muteToggled.emit(!muted())"
      >
        <mat-icon aria-hidden="true">{{ muted() ? 'mic_off' : 'mic' }}</mat-icon>
        Mute
      </button>
      <button matButton="filled" class="hang-up" type="button" [disabled]="state() === 'ended'" (click)="hungUp.emit()">
        <mat-icon aria-hidden="true">call_end</mat-icon>
        Hang up
      </button>
    </div>
    <audio #remoteAudio autoplay></audio>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      gap: 12px;
      padding: 16px 24px;
      border-radius: 16px;
      background: var(--mat-sys-surface-container);
      max-width: 420px;
    }
    .peer {
      margin: 0;
      font: var(--mat-sys-headline-small);
    }
    .status {
      margin: 0;
      font: var(--mat-sys-title-medium);
    }
    .timer {
      font-variant-numeric: tabular-nums;
    }
    .failed {
      color: var(--mat-sys-error);
    }
    .actions {
      display: flex;
      gap: 12px;
    }
    .mute[aria-pressed='true'] {
      --mat-button-tonal-container-color: var(--mat-sys-inverse-surface);
      --mat-button-tonal-label-text-color: var(--mat-sys-inverse-on-surface);
    }
    .hang-up {
      --mat-button-filled-container-color: var(--mat-sys-error);
      --mat-button-filled-label-text-color: var(--mat-sys-on-error);
    }
    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
      white-space: nowrap;
    }
  `,
  host: {
    role: 'region',
    '[attr.aria-labelledby]': 'headingId',
  },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallPanel {
  private static nextId = 0;

  /** The other party's name: the agent for a student, the caller for an agent. */
  readonly peerName = input.required<string>();
  /** Where the call's media stands. */
  readonly state = input.required<CallPanelState>();
  /** Whether this side's microphone is muted. */
  readonly muted = input(false);
  /** The far end's audio, played as soon as it is set. */
  readonly remoteStream = input<MediaStream | null>(null);
  /** The speaker to play the far end on (`setSinkId`; '' for the browser's default). */
  readonly sinkId = input('');
  /**
   * Whether the panel takes the keyboard focus (on Mute) when it opens: for a panel the person
   * opened themselves (the agent's Accept), so focus does not fall to the page's body.
   */
  readonly focusOnOpen = input(false);
  /** The call's latest quality sample (`CallSession.quality`), shown in words with its warnings. */
  readonly quality = input<QualitySample | null>(null);

  /** Emits the wanted muted state when Mute is clicked. */
  readonly muteToggled = output<boolean>();
  /** Emits when Hang up is clicked. */
  readonly hungUp = output<void>();

  protected readonly headingId = `sb-call-panel-peer-${CallPanel.nextId++}`;
  protected readonly failedMessage = CALL_FAILED_MESSAGE;
  /** Whether the call can still be muted (media not over). */
  protected readonly live = computed(() => this.state() === 'connecting' || this.state() === 'connected' || this.state() === 'reconnecting');

  private readonly remoteAudio = viewChild.required<ElementRef<HTMLAudioElement>>('remoteAudio');
  private readonly muteButton = viewChild.required('muteButton', { read: ElementRef<HTMLButtonElement> });
  private readonly clock = inject(Clock);
  /** The clock's time when the panel first saw the call connected. */
  private readonly connectedAt = signal<number | null>(null);
  /** The talk time, mm:ss, counted from when the panel first saw `connected`. */
  protected readonly elapsed = computed(() => {
    const since = this.connectedAt();
    return formatDuration(since === null ? 0 : elapsedSince(since, this.clock.now()));
  });

  constructor() {
    afterNextRender(() => {
      if (this.focusOnOpen()) this.focus();
    });
    effect(() => {
      if (this.state() === 'connected' && untracked(this.connectedAt) === null) this.connectedAt.set(untracked(this.clock.now));
    });
    effect(() => {
      const audio = this.remoteAudio().nativeElement;
      const stream = this.remoteStream();
      if (audio.srcObject !== stream) audio.srcObject = stream;
    });
    effect(() => {
      const audio = this.remoteAudio().nativeElement;
      const sinkId = this.sinkId();
      // A speaker that cannot be used (gone, or no permission) leaves the audio where it plays.
      if ('setSinkId' in audio && audio.sinkId !== sinkId) audio.setSinkId(sinkId).catch(() => undefined);
    });
  }

  /** Puts the keyboard focus on Mute, the first control of a call. */
  focus(): void {
    this.muteButton().nativeElement.focus();
  }
}
