import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import type { QueuePosition } from '@switchboard/call-domain';
import type { CallSessionState } from '@switchboard/call-domain/signaling';
import { CALL_FAILED_MESSAGE, CallPanel } from '@switchboard/ui';
import { Session } from '../auth/session';
import { AudioSettings } from '../devices/audio-settings';
import { MicrophoneCheck } from '../devices/microphone-check';
import { CallbackForm, type CallbackRequest } from './callback-form';
import { IncomingCallback, StudentCallback } from './incoming-callback';
import { StudentCall } from './student-call';
import type { StudentCallPhase } from './student-call-state';

/**
 * The student's page (`/help`): **Call support**, then "Waiting for an agent…" with the place
 * in line and the estimated wait (live) and **Cancel call**, then the call itself in the
 * shared call panel. It says why a call could not be placed (microphone blocked, no agents)
 * or how it ended, and after an unanswered call offers a callback request. Before calling,
 * the student may test and choose the microphone (`sb-microphone-check`); the call uses it,
 * and during the call the microphone and speaker may be changed (`sb-audio-settings`).
 * When an agent calls the student back, "The help desk is calling you back" rings here
 * instead (see `IncomingCallback`).
 *
 * `?offer=late` (bound to {@link HelpPage.offer}) makes the caller create its offer only once
 * an agent accepted: the baseline of `npm run bench:call-setup`, never for real calls.
 */
@Component({
  selector: 'sb-help-page',
  imports: [MatButtonModule, MatIconModule, MatProgressSpinnerModule, AudioSettings, CallPanel, CallbackForm, IncomingCallback, MicrophoneCheck],
  providers: [StudentCall, StudentCallback],
  template: `
    <section aria-labelledby="help-heading">
      <h1 id="help-heading">Help desk</h1>
      <!-- One live region for the whole call, always in the page: a region created with its
           message is missed by many screen readers. -->
      <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="call-announcement">{{ announcement() }}</p>
      <sb-incoming-callback />
      @if (callback.ringing() || callback.session()) {
        <!-- The help desk's callback is the call: nothing else to place meanwhile. -->
      } @else {
      @switch (call.phase()) {
        @case ('waiting') {
          <div class="waiting">
            <p class="lead">Waiting for an agent…</p>
            @if (call.session()?.queuePosition(); as line) {
              <p>You are number {{ line.position }} in line</p>
              @if (line.staffed === false) {
                <p>{{ noAgentText }}</p>
              } @else if (waitText(); as wait) {
                <p>Estimated wait: {{ wait }}</p>
              }
            }
            @if (call.declined()) {
              <p class="declined">An agent declined your call. You keep your place in line.</p>
            }
          </div>
          <button matButton="outlined" type="button" (click)="call.hangUp()">Cancel call</button>
        }
        @case ('talking') {
          @if (call.session(); as session) {
            <sb-call-panel
              [peerName]="session.peer()?.displayName ?? 'Agent'"
              [state]="session.state()"
              [muted]="session.muted()"
              [remoteStream]="session.remoteStream()"
              [quality]="session.quality()"
              (muteToggled)="call.setMuted($event)"
              (hungUp)="call.hangUp()"
            />
          }
        }
        @default {
          @if (call.inAnotherTab()) {
            <p class="notice">{{ inAnotherTabText }}</p>
          }
          @if (call.notice(); as notice) {
            <p class="notice">{{ notice }}</p>
          }
          @if (call.microphoneError(); as error) {
            <div class="microphone" role="alert">
              @if (error.reason === 'denied') {
                <p>Your browser is blocking the microphone, so no call was placed.</p>
                <p>
                  To allow it, open the site settings (the icon left of the address bar) → Microphone → Allow,
                  then click Call support again.
                </p>
              } @else {
                <p>{{ error.message }} No call was placed.</p>
              }
            </div>
          }
          @if (call.phase() === 'unanswered') {
            @if (call.callbackState() === 'sent') {
              <p class="notice" role="status">Thanks — the help desk will call you back.</p>
            } @else {
              <sb-callback-form
                [defaultName]="studentName()"
                [sending]="call.callbackState() === 'sending'"
                (requested)="requestCallback($event)"
              />
              @if (call.callbackError(); as error) {
                <p class="error" role="alert">{{ error }}</p>
              }
            }
          }
          <sb-microphone-check />
          <div class="call-support">
            <button matButton="filled" type="button" [disabled]="call.phase() === 'placing'" (click)="placeCall()">
              <mat-icon aria-hidden="true">call</mat-icon>
              Call support
            </button>
            @if (call.phase() === 'placing') {
              <mat-spinner diameter="24" aria-label="Placing the call" />
            }
          </div>
        }
      }
      }
      @if (call.phase() === 'talking' || callback.session()) {
        <!-- As on the agent's desk: another microphone chosen during the call is sent at once. -->
        <section class="devices" aria-labelledby="devices-heading">
          <h2 id="devices-heading">Audio devices</h2>
          <sb-audio-settings />
          @if (call.microphoneSwitchError() ?? callback.microphoneSwitchError(); as error) {
            <p class="error" role="alert">{{ error }}</p>
          }
        </section>
      }
    </section>
  `,
  styles: `
    section {
      display: flex;
      flex-direction: column;
      align-items: flex-start;
      gap: 16px;
    }
    h1 {
      font: var(--mat-sys-headline-medium);
      margin: 0;
    }
    p {
      margin: 0;
    }
    .waiting {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .lead {
      font: var(--mat-sys-title-large);
    }
    .declined,
    .notice {
      font: var(--mat-sys-body-large);
    }
    .devices h2 {
      font: var(--mat-sys-title-large);
      margin: 0 0 8px;
    }
    .microphone,
    .error {
      color: var(--mat-sys-error);
    }
    .call-support {
      display: flex;
      align-items: center;
      gap: 12px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class HelpPage {
  /** The `offer` query parameter: `late` for the call-setup benchmark's baseline; anything else offers early. */
  readonly offer = input<string | undefined>();

  protected readonly call = inject(StudentCall);
  protected readonly callback = inject(StudentCallback);
  private readonly session = inject(Session);

  /** The signed-in student's name, to prefill the callback form. */
  protected readonly studentName = computed(() => this.session.user()?.displayName ?? '');
  protected readonly noAgentText = NO_AGENT_ON_DUTY_MESSAGE;
  protected readonly inAnotherTabText = CALL_IN_ANOTHER_TAB_MESSAGE;
  /** What the live region says: the call's state in one sentence (see {@link announce}). */
  protected readonly announcement = computed(() => {
    const session = this.call.session();
    return announce({
      phase: this.call.phase(),
      position: session?.queuePosition() ?? null,
      declined: this.call.declined(),
      media: session?.state() ?? null,
      agentName: session?.peer()?.displayName ?? null,
      notice: this.call.notice(),
    });
  });
  /** The estimated wait in words, or null when the server cannot estimate it. */
  protected readonly waitText = computed(() => describeWait(this.call.session()?.queuePosition()?.estimatedWaitSeconds ?? null));

  /** Places a call (early offer unless the page was opened with `?offer=late`). */
  protected placeCall(): void {
    void this.call.placeCall(this.offer() === 'late' ? 'late' : 'early');
  }

  /** Sends the callback request of the unanswered call. */
  protected requestCallback({ name, note }: CallbackRequest): void {
    void this.call.requestCallback(name, note);
  }
}

/** Said in a tab opened while another tab of the student holds their call. */
export const CALL_IN_ANOTHER_TAB_MESSAGE = 'Your call is in another tab.';

/** Said while the call waits and no agent is working the queue (all Away, Missed or Offline). */
export const NO_AGENT_ON_DUTY_MESSAGE = 'No agent is taking calls right now. You keep your place in line.';

/** What {@link announce} reads. */
export interface CallAnnouncementInput {
  phase: StudentCallPhase;
  position: QueuePosition | null;
  declined: boolean;
  /** The media's state once an agent answered. */
  media: CallSessionState | null;
  agentName: string | null;
  notice: string | null;
}

/**
 * The student's call state as one sentence for the page's live region: placing, waiting with
 * the place in line (and the wait, or that nobody is on duty), declined, answered and
 * connecting, connected, failed, ended (the notice). Empty when there is nothing to say.
 */
export function announce({ phase, position, declined, media, agentName, notice }: CallAnnouncementInput): string {
  switch (phase) {
    case 'placing':
      return 'Placing your call…';
    case 'waiting': {
      const parts = ['Waiting for an agent.'];
      if (position) {
        parts.push(`You are number ${position.position} in line.`);
        const wait = describeWait(position.estimatedWaitSeconds);
        if (position.staffed === false) parts.push(NO_AGENT_ON_DUTY_MESSAGE);
        else if (wait) parts.push(`Estimated wait: ${wait}.`);
      }
      if (declined) parts.push('An agent declined your call. You keep your place in line.');
      return parts.join(' ');
    }
    case 'talking': {
      const agent = agentName ?? 'An agent';
      if (media === 'connected') return `Connected: you are talking with ${agent}.`;
      if (media === 'failed') return CALL_FAILED_MESSAGE;
      return `${agent} answered. Connecting…`;
    }
    default:
      return notice ?? '';
  }
}

/** An estimated wait in words: "less than a minute", "about 1 minute", "about 4 minutes". */
export function describeWait(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}
