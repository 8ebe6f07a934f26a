import { type MonoTypeOperatorFunction, Observable, type ObservableInput, from, take } from 'rxjs';

/**
 * Holds the source's values until `notifier$` first emits, then emits the held values in
 * arrival order and passes later values straight through.
 *
 * - If the notifier completes without emitting, the held values are discarded and the
 *   result completes.
 * - If the source completes while values are held, the result completes right after
 *   flushing them (or when the notifier completes without emitting).
 * - Errors of the source, and of the notifier before it emits, propagate.
 * - Unsubscribing drops the held values.
 * - While values are held, one for which `discardsHeld` returns true discards the values
 *   held before it (and is held itself): what it replaces is never emitted.
 *
 * @example
 * // The agent's early offer and candidates wait for the click on Accept; a newer
 * // negotiation's offer replaces what was held of the one before.
 * relayed$.pipe(bufferUntil(accepted$, (message) => message.kind === 'offer'))
 */
export function bufferUntil<T>(
  notifier$: ObservableInput<unknown>,
  discardsHeld: (value: T) => boolean = () => false,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let held: T[] | null = [];
      let sourceDone = false;

      const release = (): void => {
        const values = held ?? [];
        held = null;
        for (const value of values) subscriber.next(value);
        if (sourceDone) subscriber.complete();
      };

      subscriber.add(
        from(notifier$)
          .pipe(take(1))
          .subscribe({
            next: release,
            error: (err: unknown) => subscriber.error(err),
            complete: () => {
              if (held === null) return;
              held = null;
              subscriber.complete();
            },
          }),
      );
      // The notifier may have settled synchronously (e.g. `of(true)` or `EMPTY`).
      if (subscriber.closed) return undefined;

      subscriber.add(
        source.subscribe({
          next: (value) => {
            if (held === null) subscriber.next(value);
            else if (discardsHeld(value)) held = [value];
            else held.push(value);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            sourceDone = true;
            if (held === null) subscriber.complete();
          },
        }),
      );
      return () => {
        held = null;
      };
    });
}
