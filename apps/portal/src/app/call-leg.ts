import type { CallId, LiveCall } from '@switchboard/call-domain';
import { type CallSession, type SignalingClient, SignalingError } from '@switchboard/call-domain/signaling';

/**
 * This side's part in one call, as a call facade (`AgentDesk`, `StudentCall`) holds it:
 * - `none`: no call;
 * - `starting`: the call is being placed or accepted (microphone, request), no session yet;
 *   `S` is what the facade keeps meanwhile (the agent's offer);
 * - `live`: the session is up (its own signals say connecting, connected, failed or ended);
 * - `over`: this side is done with it (hung up, dismissed, or the server said it ended); the
 *   session is kept so that late events for the call are still recognised as this call's.
 */
export type CallLeg<S extends object = object> =
  | { readonly phase: 'none' }
  | ({ readonly phase: 'starting' } & Readonly<S>)
  | { readonly phase: 'live'; readonly session: CallSession }
  | { readonly phase: 'over'; readonly session: CallSession };

/** No call. */
export const NO_CALL: CallLeg<never> = { phase: 'none' };

/** The call is being placed or accepted, with what the facade keeps meanwhile. */
export function startingLeg<S extends object>(kept: S): CallLeg<S> {
  return { ...kept, phase: 'starting' };
}

/** The session is up (placed or accepted). */
export function liveLeg<S extends object>(session: CallSession): CallLeg<S> {
  return { phase: 'live', session };
}

/** This side is done with its call, if it had one (a leg without a session stays as it is). */
export function legOver<S extends object>(leg: CallLeg<S>): CallLeg<S> {
  return leg.phase === 'live' ? { phase: 'over', session: leg.session } : leg;
}

/** The leg's session, live or over; null while none or starting. */
export function sessionOf(leg: CallLeg<object>): CallSession | null {
  return leg.phase === 'live' || leg.phase === 'over' ? leg.session : null;
}

/** Whether `callId` is the call of this leg's session. */
export function isLegOf(leg: CallLeg<object>, callId: CallId): boolean {
  return sessionOf(leg)?.callId === callId;
}

/** What a failed action says on the page: the error's message, or `fallback`. */
export function messageOf(error: unknown, fallback = 'Something went wrong.'): string {
  return error instanceof Error ? error.message : fallback;
}

/**
 * One call id kept in this tab's `sessionStorage` under `key` (one per tab, kept across a
 * reload): which call this tab placed or accepted. Storage that is unavailable (private-mode
 * quotas) keeps nothing; the facades then treat a reloaded call as not this tab's.
 */
export class TabMemory {
  constructor(private readonly key: string) {}

  /** Remembers `callId`, or forgets with null. */
  remember(callId: CallId | null): void {
    try {
      if (callId) sessionStorage.setItem(this.key, callId);
      else sessionStorage.removeItem(this.key);
    } catch {
      // Storage unavailable: nothing is remembered (see the class comment).
    }
  }

  /** The call remembered in this tab, if any. */
  recall(): CallId | null {
    try {
      return sessionStorage.getItem(this.key);
    } catch {
      return null;
    }
  }
}

/** How many times {@link liveCallToTakeUp} asks while another tab holds the call, and how long it waits between. */
const LIVE_CALL_ASKS = 3;
const LIVE_CALL_ASK_PAUSE_MS = 1000;

/**
 * For a page that remembers no call (its tab was closed and the portal opened again): asks
 * the server which answered call this user is in as `role`. Answers the call when this page
 * may take it up, `elsewhere` when another tab of the user holds it, null when there is none
 * (or the server could not say). A closed tab's socket may take a moment to be gone on the
 * server, so while the call is held elsewhere it asks again, a few times, a second apart.
 */
export async function liveCallToTakeUp(signaling: SignalingClient, role: LiveCall['role']): Promise<LiveCall | 'elsewhere' | null> {
  for (let ask = 1; ; ask++) {
    let live: LiveCall | null;
    try {
      live = (await signaling.getLiveCall()) ?? null;
    } catch {
      return null;
    }
    if (live?.role !== role) return null;
    if (!live.heldElsewhere) return live;
    if (ask >= LIVE_CALL_ASKS) return 'elsewhere';
    await new Promise((resolve) => setTimeout(resolve, LIVE_CALL_ASK_PAUSE_MS));
  }
}

/**
 * Takes this tab's side of `callId`'s media up again on the server (`resumeCall`). The socket
 * of the page that just reloaded, or of a tab just closed, may take a moment to be gone on the
 * server: while the server says another tab holds the call (`conflict`), it asks again, a few
 * times, a second apart, then rejects with that `conflict`.
 */
export async function holdCallHere(signaling: SignalingClient, callId: CallId): Promise<void> {
  for (let ask = 1; ; ask++) {
    try {
      await signaling.resumeCall({ callId });
      return;
    } catch (error) {
      if (!(error instanceof SignalingError && error.code === 'conflict') || ask >= LIVE_CALL_ASKS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, LIVE_CALL_ASK_PAUSE_MS));
  }
}
