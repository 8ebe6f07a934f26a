import { HttpClient } from '@angular/common/http';
import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable, toSignal } from '@angular/core/rxjs-interop';
import type { CallId, CallSettingsView, OfferWithdrawnReason, SelectableAgentState } from '@switchboard/call-domain';
import { type CallPeer, MICROPHONE, MicrophoneError, SignalingClient, Softphone, openMicrophone } from '@switchboard/call-domain/signaling';
import { Subject, distinctUntilChanged, filter, map, merge, scan, skip, switchMap, take } from 'rxjs';
import { TabMemory, holdCallHere, liveCallToTakeUp, sessionOf } from '../call-leg';
import { followChosenMicrophone } from '../devices/follow-chosen-microphone';
import {
  type DeskState,
  EMPTY_DESK,
  acceptFailed,
  acceptStarted,
  accepted,
  actionFailed,
  actionStarted,
  callOnScreen,
  declined,
  failedCallDismissed,
  heldCallId,
  interruptedHangUp,
  microphoneChecked,
  offerWithdrawn,
  offered,
  statusChanged,
} from './desk-state';
import { LOADING, retryingLoad } from './retrying-load';

export type { Withdrawal } from './desk-state';

/** Where the call settings (dispositions, timers) are read. */
export const CALL_SETTINGS_URL = '/api/call-settings';

/** What the agent is told when an offer is taken back before they answered. */
export const WITHDRAWN_MESSAGES: Readonly<Record<OfferWithdrawnReason, string>> = {
  cancelled: 'The caller hung up before you answered.',
  rang_out: 'The call rang out and went back to the queue.',
  taken_elsewhere: 'The call was answered in another tab.',
  declined: 'The call was declined.',
  ended: 'The call ended before you answered.',
};

/**
 * Where this tab remembers the call it accepted (`sessionStorage`, one per tab), so that after
 * a reload it knows the call was its own, and a fresh second tab knows it was not.
 */
export const ACCEPTED_CALL_KEY = 'switchboard.agent.call';

/** Where this tab remembers the caller of the call it accepted (JSON `{ id, displayName }`), for the call panel after a reload. */
export const ACCEPTED_CALLER_KEY = 'switchboard.agent.call.caller';

/**
 * Where this tab remembers that its call is a callback it placed: after a reload this side
 * offers the media again (on a call it accepted, it answers).
 */
export const PLACED_CALLBACK_KEY = 'switchboard.agent.call.callback';

/**
 * A call the server says this agent is on (`on_call`) but this page holds no media for:
 * another tab took the call, or the page was reloaded and taking it up again failed (this
 * tab's own call is resumed by itself, see `AgentDesk`).
 */
export interface InterruptedCall {
  callId: CallId;
  /** The caller's name when this page saw the offer; null after a reload. */
  callerName: string | null;
  /**
   * Whether another tab of this agent holds it: the server said so (`taken_elsewhere`), or this
   * tab never accepted it (a tab opened after the accept).
   */
  inAnotherTab: boolean;
}

/**
 * The agent's side of the desk, for the agent page: their status as the server sees it, the
 * call offered right now, the call in progress (through the {@link Softphone}), wrap-up, and
 * the socket's health. Components read its signals; it owns the streams. What it knows is one
 * {@link DeskState}, changed only by the pure transitions of `desk-state.ts`.
 *
 * One per app, created before the socket connects (see `followSession`): the server sends
 * the agent's status, and a ringing offer, once on connection, and a page loaded later would
 * miss them. Signing out (an explicit disconnect) forgets everything.
 */
@Injectable({ providedIn: 'root' })
export class AgentDesk {
  private readonly signaling = inject(SignalingClient);
  private readonly http = inject(HttpClient);
  private readonly softphone = inject(Softphone);
  private readonly microphone = inject(MICROPHONE);
  private readonly tabCall = new TabMemory(ACCEPTED_CALL_KEY);
  private readonly tabCaller = new TabMemory(ACCEPTED_CALLER_KEY);
  private readonly tabCallback = new TabMemory(PLACED_CALLBACK_KEY);
  /** The call this page is taking up again after a reload, while it does. */
  private readonly resuming = signal<CallId | null>(null);
  /** Whether this page is placing a callback (the server may say On call before it answers). */
  private readonly dialing = signal(false);
  private readonly state = signal<DeskState>(EMPTY_DESK);

  /** The agent's status as the server last said (null until it did). */
  readonly status = computed(() => this.state().status);
  /** The call ringing for this agent, while it rings. */
  readonly offer = computed(() => this.state().offer);
  /** The last offer taken back before the agent answered. */
  readonly withdrawal = computed(() => this.state().withdrawal);
  /** Why the last action failed, for the page to show. */
  readonly error = computed(() => this.state().error);
  /** Why the microphone could not be opened (calls cannot be taken until it can). */
  readonly microphoneError = computed(() => this.state().microphoneError);
  private readonly retrySettingsNow = new Subject<void>();
  /**
   * The call settings (dispositions, wrap-up limits), read when the desk starts (the agent
   * signed in) so that the list is there before any wrap-up: a key pressed on a still-empty
   * Disposition picks nothing, and Done would then save the default. A failed read is tried
   * again (sooner on "Try again" or when the socket comes back); signed out, it waits for the
   * next sign-in.
   */
  readonly settingsLoad = toSignal(
    retryingLoad(
      this.signaling.connectionState$.pipe(
        filter((state) => state !== 'disconnected'),
        take(1),
        switchMap(() => this.http.get<CallSettingsView>(CALL_SETTINGS_URL)),
      ),
      merge(this.retrySettingsNow, this.signaling.connectionState$.pipe(skip(1), filter((state) => state === 'connected'))),
    ),
    { initialValue: LOADING },
  );
  /** The call settings once loaded; null until then. */
  readonly settings = computed(() => {
    const load = this.settingsLoad();
    return load.state === 'loaded' ? load.value : null;
  });
  /** The dispositions to pick from at wrap-up; empty until loaded. */
  readonly dispositions = computed(() => this.settings()?.dispositions ?? []);
  /** Whether the agent may still ask for 30 s more wrap-up (below WRAP_UP_MAX_SECONDS). */
  readonly canExtendWrapUp = computed(() => {
    const status = this.status();
    const max = this.settings()?.wrapUpMaxSeconds;
    if (status?.state !== 'wrap_up' || !status.wrapUpEndsAt || max === undefined) return false;
    return Date.parse(status.wrapUpEndsAt) < Date.parse(status.since) + max * 1000;
  });
  /** The queue as the server last said (calls waiting, the longest wait); null until it did. */
  readonly queue = toSignal(this.signaling.queueChanged$, { initialValue: null });
  /** Whether the socket was connected and is now trying to come back. */
  readonly reconnecting = toSignal(
    this.signaling.connectionState$.pipe(
      scan((seen, state) => ({ connected: seen.connected || state === 'connected', state }), { connected: false, state: 'disconnected' }),
      map(({ connected, state }) => connected && state !== 'connected'),
    ),
    { initialValue: false },
  );

  /**
   * The call on screen: the peer's name and the session once the accept went through (null
   * while it is being accepted). Gone once the call ended; a failed call stays until dismissed.
   */
  readonly call = computed(() => callOnScreen(this.state().call));

  /**
   * The call the server says this agent is on while this page has no media for it (see
   * {@link InterruptedCall}); null otherwise, and while an accept is in flight.
   */
  readonly interruptedCall = computed<InterruptedCall | null>(() => {
    const { status, call, lastOffer } = this.state();
    const callId = status?.state === 'on_call' ? status.callId : null;
    if (!callId || heldCallId(call) === callId || this.resuming() === callId || this.dialing()) return null;
    const known = lastOffer?.offer.callId === callId ? lastOffer : null;
    const acceptedHere = this.tabCall.recall() === callId;
    return { callId, callerName: known?.offer.caller.displayName ?? null, inAnotherTab: (known?.takenElsewhere ?? false) || !acceptedHere };
  });
  /** Whether the hang-up of an interrupted call is on its way. */
  readonly hangingUpInterrupted = computed(() => this.state().hangingUpInterrupted);

  constructor() {
    // The session's initializer connects after sign-in; this covers a page that is faster
    // than the lazily loaded library (a no-op when already connected).
    this.signaling.connect();
    // An agent's socket only hears about its own status (supervisors get everyone's).
    this.signaling.agentStatusChanged$.pipe(takeUntilDestroyed()).subscribe((status) => this.state.update((d) => statusChanged(d, status)));
    this.signaling.callOffered$.pipe(takeUntilDestroyed()).subscribe((offer) => {
      this.state.update((d) => offered(d, offer));
      // While it rings: its ICE servers and candidates (TURN relay included), so Accept waits for none of them.
      this.softphone.prepareAccept(offer);
    });
    this.signaling.offerWithdrawn$
      .pipe(takeUntilDestroyed())
      .subscribe(({ callId, reason }) => this.state.update((d) => offerWithdrawn(d, callId, reason)));
    this.signaling.connectionState$.pipe(takeUntilDestroyed()).subscribe((state) => {
      if (state === 'disconnected') this.forget();
    });
    // This tab's own call from before a reload: taken up again on a new peer connection. A
    // call this tab never held: taken up too when the server says no other tab holds it (the
    // agent closed the tab and opened the desk again).
    toObservable(this.interruptedCall)
      .pipe(
        filter((call): call is InterruptedCall => call !== null),
        distinctUntilChanged((a, b) => a.callId === b.callId),
        takeUntilDestroyed(),
      )
      .subscribe((call) => void (call.inAnotherTab ? this.adopt(call.callId) : this.resume(call.callId)));
    // Another microphone chosen (or the chosen one back) during a call: the call switches to it.
    followChosenMicrophone(
      () => sessionOf(this.state().call),
      (error) => this.state.update((d) => actionFailed(d, error)),
    );
    inject(DestroyRef).onDestroy(() => void sessionOf(this.state().call)?.hangUp().catch(() => undefined));
  }

  /**
   * Picks Available or Away. Available also checks the microphone once, so the browser asks
   * for it now rather than when a call is answered.
   */
  async setAvailability(state: SelectableAgentState): Promise<void> {
    this.state.update(actionStarted);
    if (state === 'available') void this.checkMicrophone();
    try {
      const status = await this.signaling.setAvailability(state);
      this.state.update((d) => statusChanged(d, status));
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    }
  }

  /** Accepts the ringing call; the call panel shows it at once, connecting. */
  async accept(): Promise<void> {
    const offer = this.offer();
    if (!offer) return;
    this.state.update(acceptStarted);
    try {
      const session = await this.softphone.acceptCall(offer);
      this.tabCall.remember(session.callId);
      this.tabCaller.remember(JSON.stringify(offer.caller));
      this.tabCallback.remember(null);
      this.state.update((d) => accepted(d, session));
    } catch (error) {
      this.state.update((d) => acceptFailed(d, error));
    }
  }

  /** Whether a callback is being placed from this page. */
  readonly placingCallback = this.dialing.asReadonly();

  /**
   * Calls a student back about a callback request this agent took: the call panel shows it
   * (connecting while it rings at the student, then as any call), wrap-up follows.
   */
  async callBack(callbackId: string, student: CallPeer): Promise<void> {
    // A call on screen (offered, accepting or live) blocks it; an ended one left on the page does not.
    if (this.dialing() || this.call()) return;
    this.state.update(actionStarted);
    this.dialing.set(true);
    try {
      const session = await this.softphone.placeCallback(callbackId);
      this.tabCall.remember(session.callId);
      this.tabCaller.remember(JSON.stringify(student));
      this.tabCallback.remember(session.callId);
      this.state.update((d) => accepted(d, session));
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    } finally {
      this.dialing.set(false);
    }
  }

  /**
   * Takes this tab's call up again after a reload: a new session waits for the caller's next
   * offer, then `resumeCall` tells the server (which tells the caller to offer from a new peer
   * connection). On a callback this tab placed, this side offers: `resumeCall` first (this tab
   * holds the call again), then a new session offers a new negotiation. Failing that (no
   * microphone, another tab holds the call), the page shows the call as interrupted, with Hang up.
   */
  private async resume(callId: CallId): Promise<void> {
    this.resuming.set(callId);
    const peer = parseCaller(this.tabCaller.recall());
    try {
      let session;
      if (this.tabCallback.recall() === callId) {
        await holdCallHere(this.signaling, callId);
        session = await this.softphone.resumeCall({ callId, role: 'caller', peer });
      } else {
        session = await this.softphone.resumeCall({ callId, role: 'agent', peer });
        try {
          await this.signaling.resumeCall({ callId });
        } catch (error) {
          session.close();
          throw error;
        }
      }
      this.state.update((d) => accepted(d, session));
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    } finally {
      this.resuming.set(null);
    }
  }

  /**
   * A call this tab never held: asks the server whether another tab holds it. If none does, it
   * becomes this tab's call and is resumed; otherwise it stays "in another tab". The card is
   * hidden while the server is asked.
   */
  private async adopt(callId: CallId): Promise<void> {
    if (this.state().lastOffer?.takenElsewhere && this.state().lastOffer?.offer.callId === callId) return;
    this.resuming.set(callId);
    const live = await liveCallToTakeUp(this.signaling, 'agent');
    if (live && live !== 'elsewhere' && live.callId === callId) {
      this.tabCall.remember(callId);
      this.tabCaller.remember(JSON.stringify(live.peer));
      this.tabCallback.remember(live.direction === 'outbound' ? callId : null);
      await this.resume(callId);
    } else {
      this.resuming.set(null);
    }
  }

  /** Declines the ringing call; it goes to the next agent. */
  async decline(): Promise<void> {
    const offer = this.offer();
    if (!offer) return;
    this.state.update(declined);
    this.softphone.discardPrepared(offer.callId);
    try {
      await this.signaling.declineCall({ callId: offer.callId });
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    }
  }

  /** Hangs up the call in progress, or dismisses a failed one. */
  hangUp(): void {
    const session = sessionOf(this.state().call);
    if (session?.state() === 'failed') this.state.update(failedCallDismissed);
    else session?.hangUp().catch((error: unknown) => this.state.update((d) => actionFailed(d, error)));
  }

  /**
   * Ends a call this page lost its media for (see {@link interruptedCall}): `hangUp` for its
   * id; the server then moves the agent to wrap-up. Not for a call held by another tab.
   */
  async hangUpInterrupted(): Promise<void> {
    const call = this.interruptedCall();
    if (!call || call.inAnotherTab || this.hangingUpInterrupted()) return;
    this.state.update((d) => interruptedHangUp(actionStarted(d), true));
    try {
      await this.signaling.hangUp({ callId: call.callId });
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    } finally {
      this.state.update((d) => interruptedHangUp(d, false));
    }
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    sessionOf(this.state().call)?.setMuted(muted);
  }

  /** 30 s more wrap-up (the server keeps the limit). */
  async extendWrapUp(): Promise<void> {
    const callId = this.status()?.callId;
    if (this.status()?.state !== 'wrap_up' || !callId) return;
    try {
      const status = await this.signaling.extendWrapUp(callId);
      this.state.update((d) => statusChanged(d, status));
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    }
  }

  /** Reads the call settings again now, after a failed read. */
  retrySettings(): void {
    this.retrySettingsNow.next();
  }

  /**
   * Saves wrap-up (disposition and notes) and returns to Available; nothing is sent until the
   * dispositions are loaded (the disposition could only be a default the agent never saw).
   */
  async completeWrapUp(disposition: string, notes: string): Promise<void> {
    const callId = this.status()?.callId;
    if (!callId || !this.settings()) return;
    this.state.update(actionStarted);
    try {
      await this.signaling.completeWrapUp({ callId, disposition, notes });
    } catch (error) {
      this.state.update((d) => actionFailed(d, error));
    }
  }

  /** Signed out: nothing of this agent's desk is kept for the next user. */
  private forget(): void {
    sessionOf(this.state().call)?.close();
    this.state.set(EMPTY_DESK);
  }

  private async checkMicrophone(): Promise<void> {
    if (this.state().microphoneChecked) return;
    try {
      const stream = await openMicrophone(this.microphone);
      // Only the permission is wanted now: the call opens its own stream on Accept.
      for (const track of stream.getTracks()) track.stop();
      this.state.update((d) => microphoneChecked(d, null));
    } catch (error) {
      this.state.update((d) => microphoneChecked(d, error instanceof MicrophoneError ? error : MicrophoneError.from(error)));
    }
  }
}

/** The remembered caller, if the memory holds a well-formed one. */
function parseCaller(json: string | null): CallPeer | null {
  try {
    const value = (json ? JSON.parse(json) : null) as Partial<CallPeer> | null;
    return typeof value?.id === 'string' && typeof value.displayName === 'string' ? { id: value.id, displayName: value.displayName } : null;
  } catch {
    return null;
  }
}
