import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { CallPanel } from '@switchboard/ui';
import { Session } from '../auth/session';
import { CallbackForm, type CallbackRequest } from './callback-form';
import { StudentCall } from './student-call';

/**
 * The student's page (`/help`): **Call support**, then "Waiting for an agent…" with the place
 * in line and the estimated wait (live) and **Cancel call**, then the call itself in the
 * shared call panel. It says why a call could not be placed (microphone blocked, no agents)
 * or how it ended, and after an unanswered call offers a callback request.
 *
 * `?offer=late` (bound to {@link HelpPage.offer}) makes the caller create its offer only once
 * an agent accepted: the baseline of `npm run bench:call-setup`, never for real calls.
 */
@Component({
  selector: 'sb-help-page',
  imports: [MatButtonModule, MatIconModule, MatProgressSpinnerModule, CallPanel, CallbackForm],
  providers: [StudentCall],
  template: `
    <section aria-labelledby="help-heading">
      <h1 id="help-heading">Help desk</h1>
      @switch (call.phase()) {
        @case ('waiting') {
          <div class="waiting" role="status" aria-live="polite">
            <p class="lead">Waiting for an agent…</p>
            @if (call.session()?.queuePosition(); as line) {
              <p>You are number {{ line.position }} in line</p>
              @if (waitText(); as wait) {
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
              (muteToggled)="call.setMuted($event)"
              (hungUp)="call.hangUp()"
            />
          }
        }
        @default {
          @if (call.notice(); as notice) {
            <p class="notice" role="status">{{ notice }}</p>
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
  private readonly session = inject(Session);

  /** The signed-in student's name, to prefill the callback form. */
  protected readonly studentName = computed(() => this.session.user()?.displayName ?? '');
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

/** An estimated wait in words: "less than a minute", "about 1 minute", "about 4 minutes". */
export function describeWait(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}
