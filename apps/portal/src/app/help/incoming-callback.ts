import { ChangeDetectionStrategy, Component, DestroyRef, Injectable, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import type { CallId, CallbackCall } from '@switchboard/call-domain';
import { type CallPeer, type CallSession, SignalingClient, SignalingError, Softphone } from '@switchboard/call-domain/signaling';
import { CallPanel } from '@switchboard/ui';
import { filter, take } from 'rxjs';
import { TabMemory, holdCallHere, messageOf } from '../call-leg';
import { followChosenMicrophone } from '../devices/follow-chosen-microphone';
import { parseAgent } from './student-call';

/** What the student is told when a callback stops ringing before they answered. */
export const CALLBACK_MISSED_MESSAGE = 'The help desk tried to call you back. They may try again.';
/** What the student is told after declining a callback. */
export const CALLBACK_DECLINED_MESSAGE = 'You declined the call. The help desk may try again later.';
/** What the student is told once a callback they answered is over. */
export const CALLBACK_ENDED_MESSAGE = 'The call with the help desk has ended.';
/** What the student is told when another of their tabs answered. */
export const CALLBACK_ANSWERED_ELSEWHERE_MESSAGE = 'You answered the help desk in another tab.';

/** Where this tab remembers the callback it answered (`sessionStorage`): the call resumes after a reload. */
export const ANSWERED_CALLBACK_KEY = 'switchboard.help.callback';
/** Where this tab remembers the agent of that callback (JSON `{ id, displayName }`). */
export const CALLBACK_AGENT_KEY = 'switchboard.help.callback.agent';

/**
 * The student's side of an agent's callback, for the help page: the call rings (`callbackRinging`),
 * the student accepts (the {@link Softphone} applies the agent's offer and candidates this page's
 * inbox held since it rang, and answers) or declines; then the call runs as any call. Provided by
 * the help page; leaving the page ends it. A reload takes the answered callback up again: this
 * side answers from a new peer connection and the agent's page offers again (`resumeCall`).
 */
@Injectable()
export class StudentCallback {
  private readonly signaling = inject(SignalingClient);
  private readonly softphone = inject(Softphone);
  private readonly ringingCall = signal<CallbackCall | null>(null);
  private readonly liveSession = signal<CallSession | null>(null);
  private readonly busy = signal(false);
  private readonly message = signal<string | null>(null);
  private readonly tabCallback = new TabMemory(ANSWERED_CALLBACK_KEY);
  private readonly tabAgent = new TabMemory(CALLBACK_AGENT_KEY);
  private readonly switchFailed = signal<string | null>(null);

  /** The callback ringing at the student, while it rings. */
  readonly ringing = this.ringingCall.asReadonly();
  /** The callback in progress, once accepted, until it ends (a failed one until dismissed). */
  readonly session = this.liveSession.asReadonly();
  /** Whether Accept or Decline is on its way. */
  readonly answering = this.busy.asReadonly();
  /** What the last callback's end, or a failed accept, means for the student. */
  readonly notice = this.message.asReadonly();
  /** Why the microphone chosen during the call could not be used (the call keeps the one it has). */
  readonly microphoneSwitchError = this.switchFailed.asReadonly();

  constructor() {
    this.signaling.connect();
    followChosenMicrophone(
      () => this.liveSession(),
      (error) => this.switchFailed.set(messageOf(error)),
    );
    this.signaling.callbackRinging$.pipe(takeUntilDestroyed()).subscribe((call) => {
      if (this.liveSession()) return;
      this.ringingCall.set(call);
      this.message.set(null);
    });
    this.signaling.offerWithdrawn$.pipe(takeUntilDestroyed()).subscribe(({ callId }) => this.stopRinging(callId, CALLBACK_ANSWERED_ELSEWHERE_MESSAGE));
    this.signaling.callEnded$.pipe(takeUntilDestroyed()).subscribe(({ callId }) => {
      this.stopRinging(callId, CALLBACK_MISSED_MESSAGE);
      if (this.liveSession()?.callId !== callId) return;
      this.remember(null);
      if (this.liveSession()?.state() !== 'failed') this.liveSession.set(null);
      this.message.set(CALLBACK_ENDED_MESSAGE);
    });
    // This tab's callback from before a reload: its media is gone; it is taken up again.
    const earlier = this.tabCallback.recall();
    const agent = parseAgent(this.tabAgent.recall());
    this.remember(null);
    if (earlier && agent) {
      this.signaling.connectionState$
        .pipe(
          filter((state) => state === 'connected'),
          take(1),
          takeUntilDestroyed(),
        )
        .subscribe(() => void this.resume(earlier, agent));
    }
    inject(DestroyRef).onDestroy(() => {
      this.remember(null);
      void this.liveSession()?.hangUp().catch(() => undefined);
    });
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
      this.remember({ callId: call.callId, agent: call.agent });
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
    this.remember(null);
    this.message.set(CALLBACK_ENDED_MESSAGE);
    if (session.state() !== 'failed') session.hangUp().catch(() => undefined);
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.liveSession()?.setMuted(muted);
  }

  /**
   * Takes this tab's answered callback up again after a reload: a new session waits for the
   * agent's next offer, then `resumeCall` tells the server (which tells the agent's page to
   * offer from a new peer connection). Failing that (no microphone, the call is over), the
   * call is hung up rather than left without media, and the page says why; a callback another
   * tab of the student holds is left to it.
   */
  private async resume(callId: CallId, agent: CallPeer): Promise<void> {
    this.busy.set(true);
    try {
      const session = await this.softphone.resumeCall({ callId, role: 'agent', peer: agent });
      try {
        await holdCallHere(this.signaling, callId);
      } catch (error) {
        session.close();
        throw error;
      }
      this.liveSession.set(session);
      this.remember({ callId, agent });
    } catch (error) {
      if (error instanceof SignalingError && error.code === 'conflict') {
        // Another tab of the student holds it: left to that tab.
        this.message.set(CALLBACK_ANSWERED_ELSEWHERE_MESSAGE);
        return;
      }
      this.message.set(messageOf(error));
      this.signaling.hangUp({ callId }).catch(() => undefined);
    } finally {
      this.busy.set(false);
    }
  }

  /** Remembers this tab's answered callback across a reload, or forgets it with null. */
  private remember(call: { callId: CallId; agent: CallPeer } | null): void {
    this.tabCallback.remember(call?.callId ?? null);
    this.tabAgent.remember(call ? JSON.stringify(call.agent) : null);
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
