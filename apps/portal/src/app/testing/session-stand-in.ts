import { type WritableSignal, signal } from '@angular/core';
import type { CallPeer, CallSession, CallSessionState } from '@switchboard/call-domain/signaling';

/** What the pure call-state functions read of a session, with its signals set by the test. */
export interface SessionStandIn {
  session: CallSession;
  state: WritableSignal<CallSessionState>;
  peer: WritableSignal<CallPeer | null>;
}

/**
 * A stand-in for a `CallSession` in the specs of the pure transitions: they keep a session and
 * read its `callId`, `state()` and `peer()`, nothing else (the facades' specs use real ones).
 */
export function sessionStandIn(callId: string, peer: CallPeer | null = null): SessionStandIn {
  const state = signal<CallSessionState>('connecting');
  const peerSignal = signal<CallPeer | null>(peer);
  return { session: { callId, state, peer: peerSignal } as unknown as CallSession, state, peer: peerSignal };
}
