import { computed, Signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { catchError, combineLatest, map, Observable, of, scan, startWith, Subject, switchMap } from 'rxjs';

/** Data read from the server, as signals: the last value, whether a read is running, its error. */
export interface Remote<T> {
  /** The last value read; kept while a newer read runs. */
  readonly value: Signal<T | undefined>;
  /** Whether a read is running. */
  readonly isLoading: Signal<boolean>;
  /** The last read's error, or undefined. */
  readonly error: Signal<unknown>;
  /** Reads again with the same parameters. */
  reload(): void;
}

interface State<T> {
  value?: T;
  loading: boolean;
  error?: unknown;
}

type Step<T> = { kind: 'idle' } | { kind: 'start' } | { kind: 'value'; value: T } | { kind: 'error'; error: unknown };

/**
 * Reads `load(params())` whenever the parameters change (the previous read is cancelled), and
 * again on `reload()`; nothing while they are undefined. Call it in an injection context.
 *
 * `httpResource` would do the same, but it and `resource` live in modules the initial bundle
 * already loads, so their code would count against its budget; this stays in lazy chunks.
 */
export function remote<P, T>(params: () => P | undefined, load: (params: P) => Observable<T>): Remote<T> {
  const reloads = new Subject<void>();
  const state = toSignal(
    combineLatest([toObservable(computed(params)), reloads.pipe(startWith(undefined))]).pipe(
      switchMap(([p]) =>
        p === undefined
          ? of<Step<T>>({ kind: 'idle' })
          : load(p).pipe(
              map((value): Step<T> => ({ kind: 'value', value })),
              catchError((error: unknown) => of<Step<T>>({ kind: 'error', error })),
              startWith<Step<T>>({ kind: 'start' }),
            ),
      ),
      scan((s: State<T>, step: Step<T>): State<T> => {
        if (step.kind === 'idle') return { value: s.value, loading: false };
        if (step.kind === 'start') return { value: s.value, loading: true };
        if (step.kind === 'value') return { value: step.value, loading: false };
        return { value: s.value, loading: false, error: step.error };
      }, { loading: false }),
    ),
    // Loading until the first parameters are read (inputs are not set yet at creation).
    { initialValue: { loading: true } as State<T> },
  );
  return {
    value: computed(() => state().value),
    isLoading: computed(() => state().loading),
    error: computed(() => state().error),
    reload: () => reloads.next(),
  };
}
