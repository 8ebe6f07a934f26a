import { DestroyRef, Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import type { CallId } from '@switchboard/call-domain';
import { type CallPeer, type OfferTiming, SignalingClient, SignalingError, Softphone } from '@switchboard/call-domain/signaling';
import { filter, skip, take } from 'rxjs';
import { TabMemory, holdCallHere, isLegOf, liveCallToTakeUp, messageOf, sessionOf } from '../call-leg';
import { followChosenMicrophone } from '../devices/follow-chosen-microphone';
import {
  NO_STUDENT_CALL,
  type StudentCallPhase,
  type StudentCallState,
  agentDeclined,
  callEnded,
  callbackRefused,
  callbackSending,
  callbackSent,
  earlierCallEnded,
  hungUp,
  phaseOf,
  placeRefused,
  placed,
  placing,
} from './student-call-state';

export { type CallbackState, RELOADED_CALL_MESSAGE, type StudentCallPhase, endMessage } from './student-call-state';

/**
 * Where this tab remembers its call across a reload (`sessionStorage`, one per tab). A reload
 * loses the call's media: the reloaded page takes an answered call up again (see
 * {@link ANSWERING_AGENT_KEY}) and ends one still waiting; a call placed by another tab of
 * the same student is not in this tab's storage and is left alone.
 */
export const PLACED_CALL_KEY = 'switchboard.help.call';

/** Where this tab remembers the agent who answered its call (JSON `{ id, displayName }`): the call resumes after a reload. */
export const ANSWERING_AGENT_KEY = 'switchboard.help.call.agent';

/**
 * The student's side of one call at a time, for the help page: places it through the
 * {@link Softphone}, follows the server's events for it (declined, ended and why) and keeps
 * what the page shows as signals, all read from one {@link StudentCallState} changed only by
 * the pure transitions of `student-call-state.ts`. Provided by the page; leaving the page
 * ends the call.
 */
@Injectable()
export class StudentCall {
  private readonly signaling = inject(SignalingClient);
  private readonly softphone = inject(Softphone);
  private readonly tabCall = new TabMemory(PLACED_CALL_KEY);
  private readonly answeredBy = new TabMemory(ANSWERING_AGENT_KEY);
  private readonly state = signal<StudentCallState>(NO_STUDENT_CALL);

  /** The call in progress (its queue position, peer, media state, remote audio), if any. */
  readonly session = computed(() => sessionOf(this.state().call));
  /** What the last call's end, or a refused call, means for the student; null when nothing to say. */
  readonly notice = computed(() => this.state().notice);
  /** Whether an agent declined the waiting call (it keeps its place in line). */
  readonly declined = computed(() => this.state().declined);
  /** Why the microphone could not be opened for the last attempt (no call was placed). */
  readonly microphoneError = computed(() => this.state().microphoneError);
  /** Where the callback request of an unanswered call stands. */
  readonly callbackState = computed(() => this.state().callback?.state ?? 'open');
  /** Why the last callback request was refused. */
  readonly callbackError = computed(() => this.state().callback?.error ?? null);
  /** Where the call stands; see {@link StudentCallPhase}. */
  readonly phase = computed<StudentCallPhase>(() => phaseOf(this.state()));
  /** Whether the student's call in progress is held by another of their tabs (this one must not take it). */
  readonly inAnotherTab = signal(false);
  private readonly switchFailed = signal<string | null>(null);
  /** Why the microphone chosen during the call could not be used (the call keeps the one it has). */
  readonly microphoneSwitchError = this.switchFailed.asReadonly();

  constructor() {
    // The session's initializer connects after sign-in; this covers a page that is faster
    // than the lazily loaded library (a no-op when already connected).
    this.signaling.connect();
    const mine = <T extends { callId: CallId }>(event: T) => isLegOf(this.state().call, event.callId);
    followChosenMicrophone(
      () => this.session(),
      (error) => this.switchFailed.set(messageOf(error)),
    );
    this.signaling.callEnded$.pipe(filter(mine), takeUntilDestroyed()).subscribe((ended) => {
      this.tabCall.remember(null);
      this.answeredBy.remember(null);
      this.state.update((s) => callEnded(s, ended));
    });
    this.signaling.callDeclined$.pipe(filter(mine), takeUntilDestroyed()).subscribe(({ callId }) => this.state.update((s) => agentDeclined(s, callId)));
    this.signaling.callAccepted$.pipe(filter(mine), takeUntilDestroyed()).subscribe(({ agent }) => this.answeredBy.remember(JSON.stringify(agent)));
    // This tab's call from before a reload: its media is gone. An answered call is taken up
    // again on a new peer connection; one still waiting is ended.
    // A tab that remembers nothing (closed and opened again) asks the server for an answered
    // call of this student that no other tab holds, and takes it up the same way.
    const earlier = this.tabCall.recall();
    const agent = parseAgent(this.answeredBy.recall());
    this.tabCall.remember(null);
    this.answeredBy.remember(null);
    if (earlier && agent) this.state.set(placing());
    this.signaling.connectionState$
      .pipe(
        filter((state) => state === 'connected'),
        take(1),
        takeUntilDestroyed(),
      )
      .subscribe(() => {
        if (earlier) void (agent ? this.resumeEarlierCall(earlier, agent) : this.endEarlierCall(earlier));
        else void this.resumeLiveCall();
      });
    // A socket that comes back as a new one (e.g. its node restarted) holds nothing on the
    // server: this tab claims its answered call again, before another tab of the student could.
    this.signaling.connectionState$
      .pipe(
        filter((state) => state === 'connected'),
        skip(1),
        takeUntilDestroyed(),
      )
      .subscribe(() => {
        const session = this.session();
        if (this.state().call.phase === 'live' && session?.peer()) this.signaling.resumeCall({ callId: session.callId }).catch(() => undefined);
      });
    inject(DestroyRef).onDestroy(() => {
      this.tabCall.remember(null);
      this.answeredBy.remember(null);
      void this.session()?.hangUp().catch(() => undefined);
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
    this.state.set(placing());
    this.inAnotherTab.set(false);
    this.switchFailed.set(null);
    try {
      const session = await this.softphone.placeCall({ offer });
      this.state.update((s) => placed(s, session));
      this.tabCall.remember(session.callId);
    } catch (error) {
      this.state.update((s) => placeRefused(s, error));
    }
  }

  /** Leaves the line (waiting) or hangs up (talking); dismisses a failed call. */
  hangUp(): void {
    const { call } = this.state();
    if (call.phase !== 'live') return;
    const failed = call.session.state() === 'failed';
    this.state.update((s) => hungUp(s, { failed, answered: call.session.peer() !== null }));
    this.tabCall.remember(null);
    this.answeredBy.remember(null);
    if (!failed) call.session.hangUp().catch(() => undefined);
  }

  /** Mutes or unmutes the microphone. */
  setMuted(muted: boolean): void {
    this.session()?.setMuted(muted);
  }

  /** After an unanswered call: asks the help desk to call back `name` with `note`. */
  async requestCallback(name: string, note: string): Promise<void> {
    const { callback } = this.state();
    if (callback?.state !== 'open') return;
    this.state.update(callbackSending);
    try {
      await this.signaling.requestCallback({ callId: callback.callId, note, ...(name.trim() ? { name: name.trim() } : {}) });
      this.state.update(callbackSent);
    } catch (error) {
      this.state.update((s) => callbackRefused(s, error));
    }
  }

  /**
   * Takes this tab's answered call from before a reload up again: this tab holds it again on
   * the server (`resumeCall`), then a new peer connection offers (reason `resume`) and the
   * agent's page answers it; same call, no new place in line. A call that ended meanwhile is
   * said to have ended; one that another tab of the student holds is left to it.
   */
  private async resumeEarlierCall(callId: CallId, agent: CallPeer): Promise<void> {
    try {
      await holdCallHere(this.signaling, callId);
      const session = await this.softphone.resumeCall({ callId, role: 'caller', peer: agent });
      this.state.update((s) => placed(s, session));
      this.tabCall.remember(callId);
      this.answeredBy.remember(JSON.stringify(agent));
    } catch (error) {
      if (error instanceof SignalingError && error.code === 'conflict') {
        this.state.set(NO_STUDENT_CALL);
        this.inAnotherTab.set(true);
        return;
      }
      // Not taken up (no microphone, or the call is over): it is ended rather than left without media.
      this.state.update((s) => placeRefused(s, error));
      await this.endEarlierCall(callId);
    }
  }

  /**
   * Takes up the student's answered call that no tab holds (its tab was closed), as after a
   * reload; says so when another tab holds it. Nothing to take up: the page is as new.
   */
  private async resumeLiveCall(): Promise<void> {
    const live = await liveCallToTakeUp(this.signaling, 'caller');
    if (this.state().call.phase !== 'none') return; // the student placed a call meanwhile
    this.inAnotherTab.set(live === 'elsewhere');
    if (!live || live === 'elsewhere') return;
    this.state.set(placing());
    await this.resumeEarlierCall(live.callId, live.peer);
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
    this.state.update(earlierCallEnded);
  }
}

/** The remembered agent, if the memory holds a well-formed one. */
export function parseAgent(json: string | null): CallPeer | null {
  try {
    const value: unknown = json ? JSON.parse(json) : null;
    const agent = value as Partial<CallPeer> | null;
    return typeof agent?.id === 'string' && typeof agent.displayName === 'string' ? { id: agent.id, displayName: agent.displayName } : null;
  } catch {
    return null;
  }
}
