import { Injectable, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { interval, map } from 'rxjs';

/** How often the {@link Clock} ticks. */
export const CLOCK_TICK_MS = 1_000;

/**
 * The browser's clock for every live time on screen (talk time, time in state, wrap-up left,
 * the supervisor's board): one interval for the app, so the times tick together. Tests
 * provide a clock of their own to move time by hand.
 */
@Injectable({ providedIn: 'root' })
export class Clock {
  /** `Date.now()` at the last tick (one a second). */
  readonly now: Signal<number> = toSignal(interval(CLOCK_TICK_MS).pipe(map(() => Date.now())), { initialValue: Date.now() });
}

/**
 * The time from `since` to `now` (ms), to whole seconds. Rounded, not floored: the clock ticks
 * once a second, so a value read just after a tick would otherwise show a second less.
 */
export function elapsedSince(since: number, now: number): number {
  return Math.max(0, Math.round((now - since) / 1000) * 1000);
}
