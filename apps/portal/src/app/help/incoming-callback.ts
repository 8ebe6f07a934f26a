import { ChangeDetectionStrategy, Component, DestroyRef, Injectable, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import type { CallbackCall } from '@switchboard/call-domain';
import { type CallSession, SignalingClient, Softphone } from '@switchboard/call-domain/signaling';
import { CallPanel } from '@switchboard/ui';
import { messageOf } from '../call-leg';

/** What the student is told when a callback stops ringing before they answered. */
export const CALLBACK_MISSED_MESSAGE = 'The help desk tried to call you back. They may try again.';
/** What the student is told after declining a callback. */
export const CALLBACK_DECLINED_MESSAGE = 'You declined the call. The help desk may try again later.';
/** What the student is told once a callback they answered is over. */
export const CALLBACK_ENDED_MESSAGE = 'The call with the help desk has ended.';
/** What the student is told when another of their tabs answered. */
export const CALLBACK_ANSWERED_ELSEWHERE_MESSAGE = 'You answered the help desk in another tab.';

/**
 * The student's side of an agent's callback, for the help page: the call rings (`callbackRinging`),
 * the student accepts (the {@link Softphone} applies the agent's offer and candidates this page's
 * inbox held since it rang, and answers) or declines; then the call runs as any call. Provided by
 * the help page; leaving the page ends it.
 */
@Injectable()
export class StudentCallback {
  private readonly signaling = inject(SignalingClient);
  private readonly softphone = inject(Softphone);
  private readonly ringingCall = signal<CallbackCall | null>(null);
  private readonly liveSession = signal<CallSession | null>(null);
  private readonly busy = signal(false);
  private readonly message = signal<string | null>(null);

  /** The callback ringing at the student, while it rings. */
  readonly ringing = this.ringingCall.asReadonly();
  /** The callback in progress, once accepted, until it ends (a failed one until dismissed). */
  readonly session = this.liveSession.asReadonly();
  /** Whether Accept or Decline is on its way. */
  readonly answering = this.busy.asReadonly();
  /** What the last callback's end, or a failed accept, means for the student. */
  readonly notice = this.message.asReadonly();

  constructor() {
    this.signaling.connect();
    this.signaling.callbackRinging$.pipe(takeUntilDestroyed()).subscribe((call) => {
      if (this.liveSession()) return;
      this.ringingCall.set(call);
      this.message.set(null);
    });
    this.signaling.offerWithdrawn$.pipe(takeUntilDestroyed()).subscribe(({ callId }) => this.stopRinging(callId, CALLBACK_ANSWERED_ELSEWHERE_MESSAGE));
    this.signaling.callEnded$.pipe(takeUntilDestroyed()).subscribe(({ callId }) => {
      this.stopRinging(callId, CALLBACK_MISSED_MESSAGE);
      if (this.liveSession()?.callId !== callId) return;
      if (this.liveSession()?.state() !== 'failed') this.liveSession.set(null);
      this.message.set(CALLBACK_ENDED_MESSAGE);
    });
    inject(DestroyRef).onDestroy(() => void this.liveSession()?.hangUp().catch(() => undefined));
  }

  /** Answers the ringing callback: the in-call panel shows it at once, connecting. */
  async accept(): Promise<void> {
    const call = this.ringingCall();
    if (!call || this.busy()) return;
    this.busy.set(true);
    try {
      const session = await this.softphone.acceptCallback(call);
      this.liveSession.set(session);
      this.ringingCall.set(null);
    } catch (error) {
      this.ringingCall.set(null);
      this.message.set(messageOf(error));
    } finally {
      this.busy.set(false);
    }
  }

  /** Declines the ringing callback (the help desk records an attempt). */
  async decline(): Promise<void> {
    const call = this.ringingCall();
    if (!call || this.busy()) return;
    this.ringingCall.set(null);
    this.message.set(CALLBACK_DECLINED_MESSAGE);
    await this.signaling.declineCallback({ callId: call.callId }).catch(() => undefined);
  }

  /** Hangs up the callback in progress, or dismisses a failed one. */
  hangUp(): void {
    const session = this.liveSession();
    if (!session) return;
    this.liveSession.set(null);
    this.message.set(CALLBACK_ENDED_MESSAGE);
    if (session.state() !== 'failed') session.hangUp().catch(() => undefined);
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.liveSession()?.setMuted(muted);
  }

  private stopRinging(callId: string, notice: string): void {
    if (this.ringingCall()?.callId !== callId) return;
    this.ringingCall.set(null);
    this.message.set(notice);
  }
}

/**
 * On the help page: "The help desk is calling you back" with **Accept** and **Decline** while an
 * agent's callback rings, then the call in the shared call panel (timer, mute, hang up), then
 * how it ended. Shows nothing when there is no callback.
 */
@Component({
  selector: 'sb-incoming-callback',
  imports: [MatButtonModule, MatIconModule, CallPanel],
  template: `
    @if (callback.ringing(); as ring) {
      <div class="incoming" role="alertdialog" aria-labelledby="callback-heading" aria-describedby="callback-caller">
        <h2 id="callback-heading">The help desk is calling you back</h2>
        <p id="callback-caller">{{ ring.agent.displayName }} is calling about your callback request.</p>
        <div class="actions">
          <button matButton="filled" type="button" [disabled]="callback.answering()" (click)="callback.accept()">
            <mat-icon aria-hidden="true">call</mat-icon>
            Accept
          </button>
          <button matButton="outlined" type="button" [disabled]="callback.answering()" (click)="callback.decline()">
            <mat-icon aria-hidden="true">call_end</mat-icon>
            Decline
          </button>
        </div>
      </div>
    } @else if (callback.session(); as session) {
      <sb-call-panel
        [peerName]="session.peer()?.displayName ?? 'Help desk'"
        [state]="session.state()"
        [muted]="session.muted()"
        [remoteStream]="session.remoteStream()"
        [quality]="session.quality()"
        [focusOnOpen]="true"
        (muteToggled)="callback.setMuted($event)"
        (hungUp)="callback.hangUp()"
      />
    } @else if (callback.notice(); as notice) {
      <p class="notice" role="status">{{ notice }}</p>
    }
  `,
  styles: `
    .incoming {
      display: flex;
      flex-direction: column;
      gap: 8px;
      padding: 16px;
      border-radius: 12px;
      background: var(--mat-sys-secondary-container);
      color: var(--mat-sys-on-secondary-container);
    }
    h2 {
      font: var(--mat-sys-title-large);
      margin: 0;
    }
    p {
      margin: 0;
    }
    .actions {
      display: flex;
      gap: 12px;
      flex-wrap: wrap;
    }
    .notice {
      font: var(--mat-sys-body-large);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class IncomingCallback {
  protected readonly callback = inject(StudentCallback);
}
