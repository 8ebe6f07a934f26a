import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, Injector, afterNextRender, computed, effect, inject, signal, untracked, viewChild } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog, type MatDialogRef } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatSnackBar } from '@angular/material/snack-bar';
import { AGENT_STATE_LABELS, type AgentState, type CallbackRequest, type SelectableAgentState } from '@switchboard/call-domain';
import { CallPanel, Clock, elapsedSince, formatDuration } from '@switchboard/ui';
import { AudioDevices } from '../devices/audio-devices';
import { AudioSettings } from '../devices/audio-settings';
import { AgentDesk, WITHDRAWN_MESSAGES } from './agent-desk';
import { CallbacksPanel } from './callbacks-panel';
import { CallerContextPanel } from './caller-context-panel';
import { type DeskAction, deskActionFor } from './desk-shortcuts';
import { focusIsNowhere } from './focus-nowhere';
import { IncomingCallAlert } from './incoming-call-alert';
import { INCOMING_CALL_DESCRIPTION_ID, IncomingCallDialog } from './incoming-call-dialog';
import { MyCalls } from './my-calls';
import { Ringtone } from './ringtone';
import { ShortcutsDialog } from './shortcuts-dialog';
import { type WrapUpEntry, WrapUpForm, wrapUpDraftKey } from './wrap-up-form';

/** States from which the agent may pick Available or Away themselves. */
const SELECTABLE_FROM: readonly AgentState[] = ['offline', 'available', 'away', 'missed'];

/**
 * The agent's page (`/agent`): their state and time in it, **Available** / **Away**, the
 * "Incoming call" dialog for each offer, the call in the shared call panel, the "You missed
 * a call" banner with **Return to Available** (the one way back while Missed), wrap-up after
 * the call, and "Reconnecting…" while the socket is down.
 *
 * Focus follows the work: Accept → the call's Mute, Hang up → the wrap-up's Disposition,
 * Done → the availability buttons. Keyboard shortcuts (Alt+Shift+letter, "?" lists them, see
 * `desk-shortcuts.ts`) do what the buttons do, only while the button would be there.
 */
@Component({
  selector: 'sb-agent-page',
  imports: [MatButtonModule, MatIconModule, AudioSettings, CallPanel, CallerContextPanel, CallbacksPanel, MyCalls, WrapUpForm],
  template: `
    <section aria-labelledby="agent-heading">
      <header class="status-bar">
        <h1 #heading id="agent-heading" tabindex="-1">Agent desk</h1>
        <p class="state">
          <span aria-live="polite">{{ stateLabel() }}</span>
          @if (timeInState(); as time) {
            <span class="since"><span class="visually-hidden">, time in this state </span>{{ time }}</span>
          }
        </p>
        <div #availability class="availability" role="group" aria-label="Availability">
          @if (state() !== 'missed') {
            <button matButton="outlined" type="button" [attr.aria-pressed]="state() === 'available'" [disabled]="!canChoose()" (click)="goAvailable()">
              Available
            </button>
          }
          <button matButton="outlined" type="button" [attr.aria-pressed]="state() === 'away'" [disabled]="!canChoose()" (click)="choose('away')">
            Away
          </button>
        </div>
        @if (desk.queue(); as queue) {
          <p class="queue" aria-label="Queue">
            <span>Calls waiting: <strong>{{ queue.callsWaiting }}</strong></span>
            @if (longestWait(); as wait) {
              <span>Longest wait: <strong class="time">{{ wait }}</strong></span>
            }
          </p>
        }
        <button matButton type="button" class="shortcuts" aria-keyshortcuts="Shift+Slash" (click)="showShortcuts()">
          <mat-icon aria-hidden="true">keyboard</mat-icon>
          Shortcuts
        </button>
      </header>

      @if (desk.reconnecting()) {
        <p class="banner warning" role="status">Reconnecting…</p>
      }
      @if (state() === 'missed') {
        <div class="banner warning" role="alert">
          <p>You missed a call</p>
          <button #returnToAvailable matButton="filled" type="button" (click)="goAvailable()">Return to Available</button>
        </div>
      }
      @if (desk.microphoneError(); as error) {
        <p class="banner error" role="alert">
          {{ error.message }} To allow it, open the site settings (the icon left of the address bar) → Microphone → Allow.
        </p>
      }
      @if (desk.error(); as error) {
        <p class="banner error" role="alert">{{ error }}</p>
      }

      @if (desk.call(); as call) {
        <sb-call-panel
          [peerName]="call.peerName"
          [state]="call.session?.state() ?? 'connecting'"
          [muted]="call.session?.muted() ?? false"
          [remoteStream]="call.session?.remoteStream() ?? null"
          [sinkId]="devices.speakerId()"
          [focusOnOpen]="true"
          [quality]="call.session?.quality() ?? null"
          (muteToggled)="desk.setMuted($event)"
          (hungUp)="desk.hangUp()"
        />
        <sb-caller-context [callId]="call.callId" [callerName]="call.peerName === 'Caller' ? null : call.peerName" />
      } @else if (desk.interruptedCall(); as lost) {
        <div class="card warning" role="alert">
          @if (lost.inAnotherTab) {
            <p class="lead">This call is in another tab</p>
            <p>
              @if (lost.callerName; as name) {
                You answered {{ name }} in another tab: talk and hang up there.
              } @else {
                You answered it in another tab: talk and hang up there.
              }
            </p>
          } @else {
            <p class="lead">
              @if (lost.callerName; as name) {
                Your call with {{ name }} was interrupted when the page reloaded.
              } @else {
                Your call was interrupted when the page reloaded.
              }
            </p>
            <p>It cannot be resumed on this page. Hang up to end it, then wrap it up as usual.</p>
            <div>
              <button matButton="filled" type="button" [disabled]="desk.hangingUpInterrupted()" (click)="desk.hangUpInterrupted()">Hang up</button>
            </div>
          }
        </div>
      } @else if (state() === 'wrap_up') {
        <sb-wrap-up-form
          [callId]="desk.status()?.callId ?? null"
          [dispositions]="desk.dispositions()"
          [loading]="!desk.settings()"
          [dispositionRequired]="desk.settings()?.dispositionRequired ?? false"
          [remaining]="wrapUpLeft()"
          [canExtend]="desk.canExtendWrapUp()"
          (done)="completeWrapUp($event)"
          (extended)="desk.extendWrapUp()"
        />
        @if (desk.status()?.callId; as callId) {
          <sb-caller-context [callId]="callId" />
        }
        @if (desk.settingsLoad(); as load) {
          <!-- One banner from the first failure until the list is in: its button keeps the focus
               while it tries again (off, but focusable), and each change is said once, politely. -->
          @if (load.state === 'failed' || (load.state === 'loading' && load.retrying)) {
            <div class="banner error" role="status">
              @if (load.state === 'failed') {
                <p>The dispositions could not be loaded, so Done waits for them. Trying again in {{ load.retryInSeconds }} s.</p>
              } @else {
                <p>The dispositions could not be loaded, so Done waits for them. Trying again now…</p>
              }
              <button matButton type="button" [disabled]="load.state !== 'failed'" disabledInteractive (click)="desk.retrySettings()">Try again</button>
            </div>
          }
        }
      }
      <section class="devices" aria-labelledby="devices-heading">
        <h2 id="devices-heading">Audio devices</h2>
        <sb-audio-settings />
      </section>
      <sb-callbacks-panel [canCall]="canCallBack()" (called)="callBack($event)" />
      <sb-my-calls [revision]="desk.status()?.since ?? null" />
    </section>
  `,
  styles: `
    section {
      display: flex;
      flex-direction: column;
      gap: 16px;
    }
    .status-bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 16px 24px;
    }
    h1 {
      font: var(--mat-sys-headline-medium);
      margin: 0;
    }
    .devices h2 {
      font: var(--mat-sys-title-large);
      margin: 0 0 8px;
    }
    .state {
      display: flex;
      gap: 12px;
      margin: 0;
      font: var(--mat-sys-title-medium);
    }
    .since {
      font-variant-numeric: tabular-nums;
      color: var(--mat-sys-on-surface-variant);
    }
    .availability {
      display: flex;
      gap: 8px;
    }
    .queue {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 16px;
      margin: 0;
      margin-inline-start: auto;
    }
    .queue .time {
      font-variant-numeric: tabular-nums;
    }
    .shortcuts {
      margin-inline-start: auto;
    }
    .queue + .shortcuts {
      margin-inline-start: 0;
    }
    .availability [aria-pressed='true'] {
      background: var(--mat-sys-secondary-container);
      --mat-button-outlined-label-text-color: var(--mat-sys-on-secondary-container);
    }
    .banner {
      display: flex;
      align-items: center;
      gap: 16px;
      margin: 0;
      padding: 12px 16px;
      border-radius: 12px;
    }
    .banner p {
      margin: 0;
    }
    .card {
      display: flex;
      flex-direction: column;
      gap: 8px;
      max-width: 480px;
      padding: 16px;
      border-radius: 12px;
    }
    .card p {
      margin: 0;
    }
    .card .lead {
      font: var(--mat-sys-title-medium);
    }
    .warning {
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .error {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
  `,
  host: {
    '(document:keydown)': 'runShortcut($event)',
  },
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AgentPage {
  protected readonly desk = inject(AgentDesk);
  protected readonly devices = inject(AudioDevices);
  private readonly ringtone = inject(Ringtone);
  private readonly alert = inject(IncomingCallAlert);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly injector = inject(Injector);
  private readonly destroyRef = inject(DestroyRef);
  private readonly clock = inject(Clock);
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');
  private readonly availability = viewChild.required<ElementRef<HTMLElement>>('availability');
  private readonly returnToAvailable = viewChild('returnToAvailable', { read: ElementRef<HTMLElement> });
  private readonly callPanel = viewChild(CallPanel);
  private ringing: { callId: string; ref: MatDialogRef<IncomingCallDialog> } | null = null;
  /** Whether the agent clicked Done: the availability buttons take the focus once wrap-up ends. */
  private focusAvailabilityAfterWrapUp = false;
  /**
   * Whether an offer's dialog closed without the call being taken on this page (declined, rang
   * out, withdrawn): the focus was in the dialog, so it goes to what comes next once the
   * agent's state has settled.
   */
  private readonly focusAfterOffer = signal(false);
  /** The call whose wrap-up the agent is in, whose notes draft this tab may hold. */
  private wrapUpCallId: string | null = null;

  /** The agent's state, Offline until the server says otherwise. */
  protected readonly state = computed<AgentState>(() => this.desk.status()?.state ?? 'offline');
  protected readonly stateLabel = computed(() => AGENT_STATE_LABELS[this.state()]);
  protected readonly canChoose = computed(() => SELECTABLE_FROM.includes(this.state()) && !this.desk.reconnecting());
  /** Whether the agent may call a student back now: Available or Away, no call in hand, connected. */
  protected readonly canCallBack = computed(
    () => (this.state() === 'available' || this.state() === 'away') && !this.desk.call() && !this.desk.placingCallback() && !this.desk.reconnecting(),
  );
  /** Time in the current state (mm:ss), live. */
  protected readonly timeInState = computed(() => {
    const since = this.desk.status()?.since;
    return since ? formatDuration(elapsedSince(Date.parse(since), this.clock.now())) : null;
  });
  /** How long the caller who has waited longest has waited (mm:ss), live; null when nobody waits. */
  protected readonly longestWait = computed(() => {
    const oldest = this.desk.queue()?.oldestQueuedAt;
    return oldest ? formatDuration(elapsedSince(Date.parse(oldest), this.clock.now())) : null;
  });
  /** Time left in wrap-up (mm:ss), live. */
  protected readonly wrapUpLeft = computed(() => {
    const endsAt = this.desk.status()?.wrapUpEndsAt;
    return endsAt ? formatDuration(Date.parse(endsAt) - this.clock.now()) : null;
  });

  constructor() {
    this.destroyRef.onDestroy(() => this.ringing?.ref.close());
    // The dialog follows the offer: open for each call offered, closed once accepted,
    // declined or withdrawn.
    effect(() => {
      const offer = this.desk.offer();
      untracked(() => {
        if (this.ringing && this.ringing.callId !== offer?.callId) {
          const { ref, callId } = this.ringing;
          ref.close();
          this.ringing = null;
          if (this.desk.call()?.callId === callId) {
            // Accepted: the call's Mute takes the focus as its panel opens. Should the dialog
            // still take it after that (its focus trap runs after a render, and may come in the
            // same pass as Mute's), it leaves the focus on the page's body as it goes: Mute
            // takes it back, so the keys the agent presses next still reach the call.
            ref
              .afterClosed()
              .pipe(takeUntilDestroyed(this.destroyRef))
              .subscribe(() => {
                if (focusIsNowhere()) this.callPanel()?.focus();
              });
          } else if (!this.desk.call()) {
            this.focusAfterOffer.set(true);
          }
        }
        if (offer && !this.ringing) {
          // A modal dialog described by the caller's name; closing it does not pull the focus back
          // to where it was: after Accept the call's Mute takes it.
          const ref = this.dialog.open(IncomingCallDialog, {
            data: offer,
            injector: this.injector,
            disableClose: true,
            width: '360px',
            ariaModal: true,
            ariaDescribedBy: INCOMING_CALL_DESCRIPTION_ID,
            restoreFocus: false,
            // The focus goes to Accept as the dialog opens, not once its animation is over: an
            // Accept pressed meanwhile (by its shortcut) is not followed by the dialog taking
            // the focus from the call's Mute.
            delayFocusTrap: false,
          });
          this.ringing = { callId: offer.callId, ref };
        }
      });
    });
    effect(() => {
      if (!this.focusAfterOffer() || this.state() === 'ringing') return;
      this.focusAfterOffer.set(false);
      afterNextRender(() => this.focusAfterUnansweredOffer(), { injector: this.injector });
    });
    effect(() => {
      if (this.state() === 'wrap_up' || !this.focusAvailabilityAfterWrapUp) return;
      this.focusAvailabilityAfterWrapUp = false;
      afterNextRender(() => this.focusAvailability(), { injector: this.injector });
    });
    // A wrap-up that is over (Done, its time ran out, signed out) leaves no draft of its notes
    // behind in the tab.
    effect(() => {
      const status = this.desk.status();
      const callId = status?.state === 'wrap_up' ? status.callId : null;
      if (this.wrapUpCallId && this.wrapUpCallId !== callId) sessionStorage.removeItem(wrapUpDraftKey(this.wrapUpCallId));
      this.wrapUpCallId = callId;
    });
    effect(() => {
      const withdrawal = this.desk.withdrawal();
      if (withdrawal) untracked(() => this.snackBar.open(WITHDRAWN_MESSAGES[withdrawal.reason], 'Dismiss', { duration: 6_000 }));
    });
  }

  /**
   * Available (also Return to Available). The click unlocks audio so the ringtone may play,
   * and the desk asks for the microphone now rather than on Accept.
   */
  /** Calls back the student of a request this agent took. */
  protected callBack(request: CallbackRequest): void {
    void this.desk.callBack(request.id, { id: request.studentId, displayName: request.name });
  }

  protected goAvailable(): void {
    this.ringtone.unlock();
    this.alert.askPermission();
    void this.desk.setAvailability('available');
  }

  /** A keyboard shortcut of the desk (see `DESK_SHORTCUTS`); keys that are none pass through. */
  protected runShortcut(event: KeyboardEvent): void {
    const action = deskActionFor(event);
    if (!action || !this.shortcutApplies(action)) return;
    event.preventDefault();
    switch (action) {
      case 'accept':
        void this.desk.accept();
        return;
      case 'decline':
        void this.desk.decline();
        return;
      case 'mute': {
        const session = this.desk.call()?.session;
        if (session) this.desk.setMuted(!session.muted());
        return;
      }
      case 'hangUp':
        this.desk.hangUp();
        return;
      case 'available':
        this.goAvailable();
        return;
      case 'away':
        this.choose('away');
        return;
      case 'showShortcuts':
        this.showShortcuts();
        return;
    }
  }

  /** Opens the list of keyboard shortcuts. */
  protected showShortcuts(): void {
    this.dialog.open(ShortcutsDialog, { width: '480px', maxWidth: 'calc(100vw - 32px)' });
  }

  /** Whether the shortcut's button would be there and enabled now. */
  private shortcutApplies(action: DeskAction): boolean {
    switch (action) {
      case 'accept':
      case 'decline':
        return this.desk.offer() !== null;
      case 'mute':
      case 'hangUp':
        return this.desk.call()?.session != null;
      case 'available':
      case 'away':
        return this.canChoose();
      case 'showShortcuts':
        return this.dialog.openDialogs.every((d) => !(d.componentInstance instanceof ShortcutsDialog));
    }
  }

  /** Picks a state other than Available. */
  protected choose(state: SelectableAgentState): void {
    void this.desk.setAvailability(state);
  }

  /** Done: the entry is sent; once wrap-up is over, focus moves to the availability buttons (what comes next). */
  protected completeWrapUp({ disposition, notes }: WrapUpEntry): void {
    this.focusAvailabilityAfterWrapUp = true;
    void this.desk.completeWrapUp(disposition, notes);
  }

  /** Focuses Return to Available while Missed, else the availability buttons, else the page's heading (the call is in another tab). */
  private focusAfterUnansweredOffer(): void {
    const returnToAvailable = this.returnToAvailable()?.nativeElement;
    if (returnToAvailable) return returnToAvailable.focus();
    if (!this.focusAvailability()) this.heading().nativeElement.focus();
  }

  /** Focuses the availability button that is on (the first one when none is); whether one could be. */
  private focusAvailability(): boolean {
    const group = this.availability().nativeElement;
    const target = group.querySelector<HTMLButtonElement>('button[aria-pressed="true"]:not([disabled])') ?? group.querySelector<HTMLButtonElement>('button:not([disabled])');
    target?.focus();
    return target !== null;
  }
}
