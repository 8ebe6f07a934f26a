import type { CallId, SignalMessage } from '@switchboard/call-domain';
import { type MonoTypeOperatorFunction, Observable, distinct, filter, takeUntil } from 'rxjs';
import { bufferUntil } from './buffer-until';

/** The session description one side waits for: the agent an `offer`, the caller an `answer`. */
export type AwaitedDescription = 'offer' | 'answer';

/** What {@link callSignals} needs to pick out and hold one call's messages. */
export interface CallSignalsOptions {
  /** The call whose messages pass; every other call's are dropped. */
  callId: CallId;
  /** The description this side applies; the other kind is the wrong direction and dropped. */
  awaits: AwaitedDescription;
  /** Emits when this side is ready to apply messages (the agent accepted, the caller's offer is set). */
  accepted$: Observable<unknown>;
  /** Emits when the call is over (cancelled, declined, withdrawn, rang out, ended). */
  ended$: Observable<unknown>;
}

/**
 * One call's inbound signaling: only `callId`'s messages, duplicates (same `messageId`)
 * dropped, candidates put after the awaited description, everything held until `accepted$`
 * emits, and the stream completed (held messages discarded) when `ended$` emits.
 */
export function callSignals(
  messages$: Observable<SignalMessage>,
  { callId, awaits, accepted$, ended$ }: CallSignalsOptions,
): Observable<SignalMessage> {
  return messages$.pipe(
    filter((message) => message.callId === callId),
    distinct((message) => message.messageId),
    descriptionFirst(awaits),
    bufferUntil(accepted$),
    takeUntil(ended$),
  );
}

/**
 * Puts ICE candidates after the session description they belong to: candidates that arrive
 * first wait for it and follow it in arrival order. Only the first description of the awaited
 * kind passes; a repeated one, or one of the other kind, is dropped, because a peer
 * connection takes one remote description per call (this product never renegotiates).
 */
export function descriptionFirst(awaits: AwaitedDescription): MonoTypeOperatorFunction<SignalMessage> {
  return (source) =>
    new Observable<SignalMessage>((subscriber) => {
      let early: SignalMessage[] | null = [];
      subscriber.add(
        source.subscribe({
          next: (message) => {
            if (message.kind === 'candidate') {
              if (early === null) subscriber.next(message);
              else early.push(message);
              return;
            }
            if (message.kind !== awaits || early === null) return;
            const candidates = early;
            early = null;
            subscriber.next(message);
            for (const candidate of candidates) subscriber.next(candidate);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
      return () => {
        early = null;
      };
    });
}
