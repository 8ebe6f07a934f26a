import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { type CallEnded, type CallId, NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { type CallSession, MicrophoneError, type OfferTiming, SignalingClient, SignalingError, Softphone } from '@switchboard/call-domain/signaling';
import { CALL_FAILED_MESSAGE } from '@switchboard/ui';
import { filter, take } from 'rxjs';

/**
 * Where the student's call stands. `idle`: no call (the last one's outcome, if any, is in
 * `notice`); `placing`: microphone and request in flight; `waiting`: in line; `talking`: an
 * agent accepted; `unanswered`: the last call reached the maximum wait, a callback may be asked.
 */
export type StudentCallPhase = 'idle' | 'placing' | 'waiting' | 'talking' | 'unanswered';

/** Where a callback request stands, after a call ended unanswered. */
export type CallbackState = 'open' | 'sending' | 'sent';

/** Shown when a call left over from before a reload of the page was ended. */
export const RELOADED_CALL_MESSAGE = 'Your earlier call was ended because the page was reloaded.';

/**
 * Where this tab remembers its call across a reload (`sessionStorage`, one per tab). A reload
 * loses the call's media, so the reloaded page ends it; a call placed by another tab of the
 * same student is not in this tab's storage and is left alone.
 */
export const PLACED_CALL_KEY = 'switchboard.help.call';

/**
 * The student's side of one call at a time, for the help page: places it through the
 * {@link Softphone}, follows the server's events for it (declined, ended and why) and keeps
 * what the page shows as signals. Provided by the page; leaving the page ends the call.
 */
@Injectable()
export class StudentCall {
  private readonly signaling = inject(SignalingClient);
  private readonly softphone = inject(Softphone);
  private readonly current = signal<CallSession | null>(null);
  private readonly placing = signal(false);
  private readonly over = signal(false);
  private readonly unanswered = signal<CallId | null>(null);
  private readonly noticeText = signal<string | null>(null);
  private readonly declinedFlag = signal(false);
  private readonly microphoneRefusal = signal<MicrophoneError | null>(null);
  private readonly callback = signal<CallbackState>('open');
  private readonly callbackErrorText = signal<string | null>(null);

  /** The call in progress (its queue position, peer, media state, remote audio), if any. */
  readonly session = this.current.asReadonly();
  /** What the last call's end, or a refused call, means for the student; null when nothing to say. */
  readonly notice = this.noticeText.asReadonly();
  /** Whether an agent declined the waiting call (it keeps its place in line). */
  readonly declined = this.declinedFlag.asReadonly();
  /** Why the microphone could not be opened for the last attempt (no call was placed). */
  readonly microphoneError = this.microphoneRefusal.asReadonly();
  /** Where the callback request of an unanswered call stands. */
  readonly callbackState = this.callback.asReadonly();
  /** Why the last callback request was refused. */
  readonly callbackError = this.callbackErrorText.asReadonly();

  /** Where the call stands; see {@link StudentCallPhase}. */
  readonly phase = computed<StudentCallPhase>(() => {
    if (this.placing()) return 'placing';
    const session = this.current();
    const state = session?.state();
    if (!session || this.over() || state === 'ended') return this.unanswered() ? 'unanswered' : 'idle';
    // A failed call that was answered stays on screen (the panel says it failed) until the
    // server ends it or the student dismisses it with Hang up.
    if (state === 'failed') return session.peer() ? 'talking' : 'idle';
    return session.peer() ? 'talking' : 'waiting';
  });

  constructor() {
    // The session's initializer connects after sign-in; this covers a page that is faster
    // than the lazily loaded library (a no-op when already connected).
    this.signaling.connect();
    const mine = <T extends { callId: CallId }>(event: T) => event.callId === this.current()?.callId;
    this.signaling.callEnded$.pipe(filter(mine), takeUntilDestroyed()).subscribe((ended) => this.end(ended));
    this.signaling.callDeclined$.pipe(filter(mine), takeUntilDestroyed()).subscribe(() => this.declinedFlag.set(true));
    // This tab's call from before a reload (waiting or answered): its media is gone.
    const earlier = recall();
    if (earlier) {
      remember(null);
      this.signaling.connectionState$
        .pipe(
          filter((state) => state === 'connected'),
          take(1),
          takeUntilDestroyed(),
        )
        .subscribe(() => void this.endEarlierCall(earlier));
    }
    inject(DestroyRef).onDestroy(() => {
      remember(null);
      void this.current()?.hangUp().catch(() => undefined);
    });
  }

  /**
   * Places a call: opens the microphone (refused → `microphoneError`, nothing placed), asks
   * the server (refused → `notice`), then waits in line.
   *
   * @param offer `late` is the call-setup benchmark's baseline (`/help?offer=late`); the
   *   product always offers early.
   */
  async placeCall(offer: OfferTiming = 'early'): Promise<void> {
    if (this.phase() === 'placing' || this.phase() === 'waiting' || this.phase() === 'talking') return;
    this.placing.set(true);
    this.noticeText.set(null);
    this.microphoneRefusal.set(null);
    this.declinedFlag.set(false);
    this.unanswered.set(null);
    this.over.set(false);
    this.callback.set('open');
    this.callbackErrorText.set(null);
    try {
      const session = await this.softphone.placeCall({ offer });
      this.current.set(session);
      remember(session.callId);
    } catch (error) {
      this.current.set(null);
      if (error instanceof MicrophoneError) this.microphoneRefusal.set(error);
      else if (error instanceof SignalingError && error.code === 'no_agents_available') this.noticeText.set(NO_AGENTS_MESSAGE);
      else this.noticeText.set(error instanceof Error ? error.message : 'The call could not be placed.');
    } finally {
      this.placing.set(false);
    }
  }

  /** Leaves the line (waiting) or hangs up (talking); dismisses a failed call. */
  hangUp(): void {
    const session = this.current();
    if (!session || this.over()) return;
    const state = session.state();
    const answered = session.peer() !== null;
    this.over.set(true);
    remember(null);
    if (state === 'failed') {
      this.noticeText.set(CALL_FAILED_MESSAGE);
      return;
    }
    this.noticeText.set(answered ? 'You ended the call.' : 'You left the line.');
    session.hangUp().catch(() => undefined);
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.current()?.setMuted(muted);
  }

  /** After an unanswered call: asks the help desk to call back `name` with `note`. */
  async requestCallback(name: string, note: string): Promise<void> {
    const callId = this.unanswered();
    if (!callId || this.callback() !== 'open') return;
    this.callback.set('sending');
    this.callbackErrorText.set(null);
    try {
      await this.signaling.requestCallback({ callId, note, ...(name.trim() ? { name: name.trim() } : {}) });
      this.callback.set('sent');
    } catch (error) {
      this.callback.set('open');
      this.callbackErrorText.set(error instanceof Error ? error.message : 'The request could not be sent.');
    }
  }

  /**
   * Ends this tab's call from before a reload, which it holds no media for, and says so.
   * `cancelCall` leaves the line, or hangs up a call an agent already accepted.
   */
  private async endEarlierCall(callId: CallId): Promise<void> {
    try {
      await this.signaling.cancelCall({ callId });
    } catch {
      return; // Gone already, or not this student's: nothing to tell.
    }
    if (this.phase() === 'idle' || this.phase() === 'unanswered') this.noticeText.set(RELOADED_CALL_MESSAGE);
  }

  private end(ended: CallEnded): void {
    const message = endMessage(ended);
    this.over.set(true);
    remember(null);
    if (ended.outcome === 'unanswered') this.unanswered.set(ended.callId);
    // The student's own hang-up already said so; the server's confirmation adds nothing.
    if (ended.endedBy !== 'caller' || !this.noticeText()) this.noticeText.set(message);
  }
}

/** What the student is told when their call ends. */
export function endMessage({ outcome, endedBy, reason }: CallEnded): string {
  if (outcome === 'unanswered') return 'No agent could take your call in time. You can ask to be called back.';
  if (outcome === 'failed' || reason === 'media_failed') return CALL_FAILED_MESSAGE;
  if (reason === 'disconnected') return endedBy === 'agent' ? "The call was cut off: the agent's connection was lost." : 'The call was cut off: the connection was lost.';
  if (endedBy === 'agent') return 'The agent ended the call.';
  if (endedBy === 'caller') return reason === 'hung_up' ? 'You ended the call.' : 'You left the line.';
  return 'The call ended.';
}

/** Remembers (or forgets, with null) this tab's call across a reload. */
function remember(callId: CallId | null): void {
  try {
    if (callId) sessionStorage.setItem(PLACED_CALL_KEY, callId);
    else sessionStorage.removeItem(PLACED_CALL_KEY);
  } catch {
    // Storage unavailable (private mode quotas): a reload then leaves the call to the server's timeouts.
  }
}

/** This tab's call from before a reload, if any. */
function recall(): CallId | null {
  try {
    return sessionStorage.getItem(PLACED_CALL_KEY);
  } catch {
    return null;
  }
}
