import { type Observable, catchError, concat, defer, map, of, race, switchMap, take, timer } from 'rxjs';

/** Something the page cannot work without, as it is being read: loading, loaded, or failed and to be tried again. */
export type Load<T> =
  /** `retrying`: a try after a failure (what said it failed can say it is trying again). */
  | { readonly state: 'loading'; readonly retrying?: true }
  | { readonly state: 'loaded'; readonly value: T }
  | { readonly state: 'failed'; readonly retryInSeconds: number };

/** Not there yet: the first try is on its way. */
export const LOADING: Load<never> = { state: 'loading' };

/** Not there yet: a try after a failure is on its way. */
export const RETRYING: Load<never> = { state: 'loading', retrying: true };

/** How long to wait after the 1st, 2nd, … failure; the last one repeats. */
export const RETRY_DELAYS_SECONDS: readonly number[] = [2, 5, 15, 30];

/**
 * Reads `request$` (one value, e.g. an HTTP GET) until it succeeds: after a failure it says so
 * with the time to the next try, then tries again after {@link RETRY_DELAYS_SECONDS}, or at
 * once when `retryNow$` emits (the agent's "Try again", the network back). Starts `loading`.
 */
export function retryingLoad<T>(request$: Observable<T>, retryNow$: Observable<unknown>, delaysSeconds = RETRY_DELAYS_SECONDS): Observable<Load<T>> {
  const attempt = (failures: number): Observable<Load<T>> =>
    concat(
      of(failures === 0 ? LOADING : RETRYING),
      request$.pipe(
        take(1),
        map((value) => ({ state: 'loaded', value }) as const),
        catchError(() => {
          const retryInSeconds = delaysSeconds[Math.min(failures, delaysSeconds.length - 1)];
          return concat(
            of({ state: 'failed', retryInSeconds } as const),
            race(timer(retryInSeconds * 1000), retryNow$).pipe(
              take(1),
              switchMap(() => attempt(failures + 1)),
            ),
          );
        }),
      ),
    );
  return defer(() => attempt(0));
}
