import { HttpClient } from '@angular/common/http';
import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable, toSignal } from '@angular/core/rxjs-interop';
import type { AgentStatus, CallId, CallOffer, CallSettingsView, OfferWithdrawnReason, SelectableAgentState } from '@switchboard/call-domain';
import {
  type CallSession,
  MICROPHONE,
  MicrophoneError,
  SignalingClient,
  Softphone,
  openMicrophone,
} from '@switchboard/call-domain/signaling';
import { catchError, filter, map, of, scan, switchMap, take } from 'rxjs';

/** Where the call settings (dispositions, timers) are read. */
export const CALL_SETTINGS_URL = '/api/call-settings';

/** What the agent is told when an offer is taken back before they answered. */
export const WITHDRAWN_MESSAGES: Readonly<Record<OfferWithdrawnReason, string>> = {
  cancelled: 'The caller hung up before you answered.',
  rang_out: 'The call rang out and went to the next agent.',
  taken_elsewhere: 'The call was answered in another tab.',
  declined: 'The call was declined.',
  ended: 'The call ended before you answered.',
};

/** An offer taken back, for the page to announce once (`seq` tells two alike apart). */
export interface Withdrawal {
  callId: CallId;
  reason: OfferWithdrawnReason;
  seq: number;
}

/**
 * Where this tab remembers the call it accepted (`sessionStorage`, one per tab), so that after
 * a reload it knows the call was its own, and a fresh second tab knows it was not.
 */
export const ACCEPTED_CALL_KEY = 'switchboard.agent.call';

/**
 * A call the server says this agent is on (`on_call`) but this page holds no media for: the
 * page was reloaded (a peer connection cannot be resumed), or another tab took the call.
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
 * the socket's health. Components read its signals; it owns the streams.
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
  private readonly statusSignal = signal<AgentStatus | null>(null);
  private readonly offerSignal = signal<CallOffer | null>(null);
  private readonly accepting = signal<CallOffer | null>(null);
  private readonly callSignal = signal<CallSession | null>(null);
  private readonly dismissed = signal(false);
  private readonly withdrawalSignal = signal<Withdrawal | null>(null);
  private readonly errorSignal = signal<string | null>(null);
  private readonly microphoneSignal = signal<MicrophoneError | null>(null);
  private readonly withdrawnWhileAccepting = new Set<CallId>();
  /** The last offer this page saw, kept after it rang (its caller's name, and whether another tab took it). */
  private readonly lastOffer = signal<{ offer: CallOffer; takenElsewhere: boolean } | null>(null);
  private readonly endingInterrupted = signal(false);
  private microphoneChecked = false;

  /** The agent's status as the server last said (null until it did). */
  readonly status = this.statusSignal.asReadonly();
  /** The call ringing for this agent, while it rings. */
  readonly offer = this.offerSignal.asReadonly();
  /** The last offer taken back before the agent answered. */
  readonly withdrawal = this.withdrawalSignal.asReadonly();
  /** Why the last action failed, for the page to show. */
  readonly error = this.errorSignal.asReadonly();
  /** Why the microphone could not be opened (calls cannot be taken until it can). */
  readonly microphoneError = this.microphoneSignal.asReadonly();
  private readonly settingsFailed = signal(false);
  /**
   * The dispositions to pick from at wrap-up (from the call settings), loaded at the first
   * wrap-up: most visits of the page never need them. Empty until loaded.
   */
  readonly dispositions = toSignal(
    toObservable(computed(() => this.statusSignal()?.state === 'wrap_up')).pipe(
      filter(Boolean),
      take(1),
      switchMap(() => this.http.get<CallSettingsView>(CALL_SETTINGS_URL)),
      map((settings) => settings.dispositions),
      catchError(() => {
        this.settingsFailed.set(true);
        return of([]);
      }),
    ),
    { initialValue: [] as string[] },
  );
  /** Whether the dispositions could not be loaded. */
  readonly dispositionsFailed = this.settingsFailed.asReadonly();
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
  readonly call = computed(() => {
    const pending = this.accepting();
    if (pending) return { peerName: pending.caller.displayName, session: null };
    const session = this.callSignal();
    const state = session?.state();
    if (!session || state === 'ended' || (state === 'failed' && this.dismissed())) return null;
    return { peerName: session.peer()?.displayName ?? 'Caller', session };
  });

  /**
   * The call the server says this agent is on while this page has no media for it (see
   * {@link InterruptedCall}); null otherwise, and while an accept is in flight.
   */
  readonly interruptedCall = computed<InterruptedCall | null>(() => {
    const status = this.statusSignal();
    const callId = status?.state === 'on_call' ? status.callId : null;
    if (!callId || this.accepting()?.callId === callId || this.callSignal()?.callId === callId) return null;
    const seen = this.lastOffer();
    const known = seen?.offer.callId === callId ? seen : null;
    const acceptedHere = recallAccepted() === callId;
    return { callId, callerName: known?.offer.caller.displayName ?? null, inAnotherTab: (known?.takenElsewhere ?? false) || !acceptedHere };
  });
  /** Whether the hang-up of an interrupted call is on its way. */
  readonly hangingUpInterrupted = this.endingInterrupted.asReadonly();

  constructor() {
    // The session's initializer connects after sign-in; this covers a page that is faster
    // than the lazily loaded library (a no-op when already connected).
    this.signaling.connect();
    // An agent's socket only hears about its own status (supervisors get everyone's).
    this.signaling.agentStatusChanged$.pipe(takeUntilDestroyed()).subscribe((status) => this.statusSignal.set(status));
    this.signaling.callOffered$.pipe(takeUntilDestroyed()).subscribe((offer) => {
      this.offerSignal.set(offer);
      this.lastOffer.set({ offer, takenElsewhere: false });
    });
    let seq = 0;
    this.signaling.offerWithdrawn$.pipe(takeUntilDestroyed()).subscribe(({ callId, reason }) => {
      if (this.accepting()?.callId === callId) this.withdrawnWhileAccepting.add(callId);
      const seen = this.lastOffer();
      if (reason === 'taken_elsewhere' && seen?.offer.callId === callId) this.lastOffer.set({ ...seen, takenElsewhere: true });
      if (this.offerSignal()?.callId !== callId) return;
      this.offerSignal.set(null);
      this.withdrawalSignal.set({ callId, reason, seq: ++seq });
    });
    this.signaling.connectionState$.pipe(takeUntilDestroyed()).subscribe((state) => {
      if (state === 'disconnected') this.forget();
    });
    inject(DestroyRef).onDestroy(() => void this.callSignal()?.hangUp().catch(() => undefined));
  }

  /**
   * Picks Available or Away. Available also checks the microphone once, so the browser asks
   * for it now rather than when a call is answered.
   */
  async setAvailability(state: SelectableAgentState): Promise<void> {
    this.errorSignal.set(null);
    if (state === 'available') void this.checkMicrophone();
    try {
      this.statusSignal.set(await this.signaling.setAvailability(state));
    } catch (error) {
      this.errorSignal.set(messageOf(error));
    }
  }

  /** Accepts the ringing call; the call panel shows it at once, connecting. */
  async accept(): Promise<void> {
    const offer = this.offerSignal();
    if (!offer) return;
    this.errorSignal.set(null);
    this.offerSignal.set(null);
    this.accepting.set(offer);
    this.dismissed.set(false);
    try {
      const session = await this.softphone.acceptCall(offer);
      rememberAccepted(session.callId);
      this.callSignal.set(session);
    } catch (error) {
      this.errorSignal.set(messageOf(error));
      if (error instanceof MicrophoneError) this.microphoneSignal.set(error);
      // A refused microphone accepts nothing: the call still rings here, unless it went meanwhile.
      if (error instanceof MicrophoneError && !this.withdrawnWhileAccepting.has(offer.callId)) this.offerSignal.set(offer);
    } finally {
      this.withdrawnWhileAccepting.delete(offer.callId);
      this.accepting.set(null);
    }
  }

  /** Declines the ringing call; it goes to the next agent. */
  async decline(): Promise<void> {
    const offer = this.offerSignal();
    if (!offer) return;
    this.offerSignal.set(null);
    try {
      await this.signaling.declineCall({ callId: offer.callId });
    } catch (error) {
      this.errorSignal.set(messageOf(error));
    }
  }

  /** Hangs up the call in progress, or dismisses a failed one. */
  hangUp(): void {
    const session = this.callSignal();
    if (session?.state() === 'failed') this.dismissed.set(true);
    else session?.hangUp().catch((error: unknown) => this.errorSignal.set(messageOf(error)));
  }

  /**
   * Ends a call this page lost its media for (see {@link interruptedCall}): `hangUp` for its
   * id; the server then moves the agent to wrap-up. Not for a call held by another tab.
   */
  async hangUpInterrupted(): Promise<void> {
    const call = this.interruptedCall();
    if (!call || call.inAnotherTab || this.endingInterrupted()) return;
    this.errorSignal.set(null);
    this.endingInterrupted.set(true);
    try {
      await this.signaling.hangUp({ callId: call.callId });
    } catch (error) {
      this.errorSignal.set(messageOf(error));
    } finally {
      this.endingInterrupted.set(false);
    }
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.callSignal()?.setMuted(muted);
  }

  /** Saves wrap-up (disposition and notes) and returns to Available. */
  async completeWrapUp(disposition: string, notes: string): Promise<void> {
    const callId = this.statusSignal()?.callId;
    if (!callId) return;
    this.errorSignal.set(null);
    try {
      await this.signaling.completeWrapUp({ callId, disposition, notes });
    } catch (error) {
      this.errorSignal.set(messageOf(error));
    }
  }

  /** Signed out: nothing of this agent's desk is kept for the next user. */
  private forget(): void {
    this.callSignal()?.close();
    this.callSignal.set(null);
    this.statusSignal.set(null);
    this.offerSignal.set(null);
    this.lastOffer.set(null);
    this.accepting.set(null);
    this.errorSignal.set(null);
    this.microphoneChecked = false;
  }

  private async checkMicrophone(): Promise<void> {
    if (this.microphoneChecked) return;
    try {
      const stream = await openMicrophone(this.microphone);
      // Only the permission is wanted now: the call opens its own stream on Accept.
      for (const track of stream.getTracks()) track.stop();
      this.microphoneChecked = true;
      this.microphoneSignal.set(null);
    } catch (error) {
      this.microphoneSignal.set(error instanceof MicrophoneError ? error : MicrophoneError.from(error));
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** Remembers, in this tab only, the call it accepted. */
function rememberAccepted(callId: CallId): void {
  try {
    sessionStorage.setItem(ACCEPTED_CALL_KEY, callId);
  } catch {
    // Storage unavailable: after a reload the call then shows as held by another tab.
  }
}

/** The call this tab last accepted, if any. */
function recallAccepted(): CallId | null {
  try {
    return sessionStorage.getItem(ACCEPTED_CALL_KEY);
  } catch {
    return null;
  }
}
