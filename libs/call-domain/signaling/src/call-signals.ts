import type { CallId, NegotiationId, SignalMessage } from '@switchboard/call-domain';
import { type MonoTypeOperatorFunction, NEVER, Observable, distinct, filter, takeUntil, tap } from 'rxjs';
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
  /**
   * The offering side (`awaits: 'answer'`): the id of each negotiation this side starts,
   * emitted before its offer is sent. The answering side learns negotiations from offers.
   */
  negotiationStarted$?: Observable<NegotiationId>;
  /** Told each description of the awaited kind that starts the current negotiation, as it arrives (held or not). */
  described?: (description: SignalMessage) => void;
  /** Told each message of the current negotiation as it arrives, in the order it passes (held or not). */
  arrived?: (message: SignalMessage) => void;
}

/**
 * One call's inbound signaling: only `callId`'s messages, duplicates (same `messageId`)
 * dropped, only the current negotiation's messages with candidates put after its description
 * ({@link currentNegotiation}), everything held until `accepted$` emits (a newer negotiation's
 * description discards what was held of the older one), and the stream completed (held
 * messages discarded) when `ended$` emits.
 */
export function callSignals(
  messages$: Observable<SignalMessage>,
  { callId, awaits, accepted$, ended$, negotiationStarted$ = NEVER, described, arrived }: CallSignalsOptions,
): Observable<SignalMessage> {
  return messages$.pipe(
    filter((message) => message.callId === callId),
    distinct((message) => message.messageId),
    currentNegotiation(awaits, negotiationStarted$),
    tap((message) => {
      if (message.kind === awaits) described?.(message);
      arrived?.(message);
    }),
    bufferUntil(accepted$, (message) => message.kind === awaits),
    takeUntil(ended$),
  );
}

/**
 * Passes the messages of the call's current negotiation, each ICE candidate after the
 * session description of its negotiation (candidates that arrive first wait for it and follow
 * it in arrival order). One description of the awaited kind passes per negotiation (after a
 * provisional answer, also the next answer that is not provisional: the accepted agent's); a
 * repeated one, or one of the other kind, is dropped.
 *
 * - Answering side (`awaits: 'offer'`): an offer with a new `negotiationId` starts a new
 *   negotiation and replaces the current one: the candidates held for the old one are
 *   dropped, and so is anything of it that arrives later.
 * - Offering side (`awaits: 'answer'`): negotiations start when `started$` emits (this side
 *   offered); answers and candidates of any other negotiation are dropped.
 * - A message without `negotiationId` (an older server) belongs to the current negotiation.
 *
 * "Older" means seen here and replaced: negotiation ids are not ordered, and the API refuses
 * (`stale_negotiation`) what a party sends for a negotiation it has replaced.
 */
export function currentNegotiation(
  awaits: AwaitedDescription,
  started$: Observable<NegotiationId> = NEVER,
): MonoTypeOperatorFunction<SignalMessage> {
  return (source) =>
    new Observable<SignalMessage>((subscriber) => {
      let current: NegotiationId | undefined;
      let described = false;
      /** Offering side: the current negotiation's answer so far was provisional (the accepted agent's answer follows). */
      let provisional = false;
      const replaced = new Set<NegotiationId>();
      let early: SignalMessage[] = [];
      const ofCurrent = (message: SignalMessage): boolean =>
        message.negotiationId === undefined || message.negotiationId === current;

      const replace = (negotiationId: NegotiationId): void => {
        // Before the first negotiation is known, unlabelled candidates can only be its own.
        const keepsUnlabelled = current === undefined && !described;
        if (current !== undefined && current !== negotiationId) replaced.add(current);
        current = negotiationId;
        described = false;
        provisional = false;
        early = early.filter(
          (candidate) => candidate.negotiationId === negotiationId || (keepsUnlabelled && candidate.negotiationId === undefined),
        );
      };
      const describe = (description: SignalMessage): void => {
        described = true;
        const candidates = early.filter(ofCurrent);
        early = early.filter((candidate) => !ofCurrent(candidate));
        subscriber.next(description);
        for (const candidate of candidates) subscriber.next(candidate);
      };

      subscriber.add(started$.subscribe((negotiationId) => replace(negotiationId)));
      subscriber.add(
        source.subscribe({
          next: (message) => {
            const negotiationId = message.negotiationId;
            if (negotiationId !== undefined && replaced.has(negotiationId)) return;
            if (message.kind === 'candidate') {
              if (described && ofCurrent(message)) subscriber.next(message);
              else early.push(message);
              return;
            }
            if (message.kind !== awaits) return;
            if (ofCurrent(message)) {
              if (!described) {
                provisional = message.kind === 'answer' && message.provisional === true;
                describe(message);
              } else if (provisional && message.kind === 'answer' && !message.provisional) {
                // The answer of the agent who accepted, after a provisional one: it says which counts.
                provisional = false;
                subscriber.next(message);
              }
              return;
            }
            // Only an offer starts a negotiation; an answer to one this side never made is stale.
            if (awaits === 'answer' || negotiationId === undefined) return;
            replace(negotiationId);
            describe(message);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      );
      return () => {
        early = [];
      };
    });
}
