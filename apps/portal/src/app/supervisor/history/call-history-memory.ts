import { Injectable, signal } from '@angular/core';

/** The call history's URL with no view in its query. */
export const CALL_HISTORY_PATH = '/supervisor/calls';

/**
 * The URL of the call-history view the supervisor last saw (filters, sort, page in its query),
 * so a call's detail page can lead **Back** to that same view rather than to the unfiltered
 * list. Kept for the page's life: a detail page opened on its own (a new tab, a shared link)
 * leads back to the plain history.
 */
@Injectable({ providedIn: 'root' })
export class CallHistoryMemory {
  private readonly last = signal(CALL_HISTORY_PATH);

  /** The last history URL shown, query included (the plain history if none yet). */
  readonly url = this.last.asReadonly();

  /** Records the history URL now shown. */
  remember(url: string): void {
    this.last.set(url);
  }
}
