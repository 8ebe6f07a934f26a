import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import type { AgentFigures, CallRecord, Page } from '@switchboard/call-domain';
import { formatDuration } from '@switchboard/ui';
import { formatDateTime, secondsToMs, startOfLocalDay, toDateInput } from '../supervisor/format';
import { OUTCOME_LABELS } from '../supervisor/labels';
import { remote } from '../supervisor/remote';

/** Where the signed-in agent's own calls and figures are read. */
export const MY_CALLS_URL = '/api/me/calls';
export const MY_FIGURES_URL = '/api/me/figures';

/** Calls per page of the agent's history. */
const PAGE_SIZE = 10;

/**
 * The agent's own day and history: today's figures (calls handled, average handle time,
 * missed offers) and their calls, newest first, searchable by student, a page at a time.
 * Read again whenever `revision` changes (the page passes the agent's state change, so a
 * finished wrap-up shows at once).
 */
@Component({
  selector: 'sb-my-calls',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule],
  template: `
    <section class="my-calls" aria-labelledby="my-calls-heading">
      <h2 id="my-calls-heading">My calls</h2>
      <dl class="figures" aria-label="Today">
        <div>
          <dt>Handled today</dt>
          <dd>{{ figures.value()?.handled ?? '—' }}</dd>
        </div>
        <div>
          <dt>Average handle time</dt>
          <dd>{{ aht() }}</dd>
        </div>
        <div>
          <dt>Missed today</dt>
          <dd>{{ figures.value()?.missed ?? '—' }}</dd>
        </div>
      </dl>
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>Search by student</mat-label>
        <input matInput type="search" maxlength="80" [value]="search()" (input)="searchFor($event)" />
      </mat-form-field>
      @if (calls.value(); as page) {
        @if (page.items.length === 0) {
          <p>{{ search() ? 'No call of yours matches.' : 'No calls yet.' }}</p>
        } @else {
          <div class="scroll">
            <table>
              <caption class="visually-hidden">My calls, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Student</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Disposition</th>
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                @for (call of page.items; track call.id) {
                  <tr>
                    <td>{{ when(call.queuedAt) }}</td>
                    <td>{{ call.callerName }}</td>
                    <td>{{ outcome(call) }}</td>
                    <td>{{ call.disposition ?? '—' }}</td>
                    <td class="notes">{{ call.notes || '—' }}</td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
          <div class="pages" role="group" aria-label="Pages of my calls">
            <button matButton type="button" [disabled]="pageNumber() === 1" (click)="pageNumber.set(pageNumber() - 1)">Newer</button>
            <span>Page {{ pageNumber() }} of {{ pages() }}</span>
            <button matButton type="button" [disabled]="pageNumber() >= pages()" (click)="pageNumber.set(pageNumber() + 1)">Older</button>
          </div>
        }
      } @else if (calls.error()) {
        <p role="alert">Your calls could not be loaded.</p>
      }
    </section>
  `,
  styles: `
    .my-calls {
      display: flex;
      flex-direction: column;
      gap: 12px;
      min-width: 0;
    }
    h2 {
      margin: 0;
      font: var(--mat-sys-title-large);
    }
    .figures {
      display: flex;
      flex-wrap: wrap;
      gap: 8px 32px;
      margin: 0;
    }
    dt {
      font: var(--mat-sys-label-large);
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
      font: var(--mat-sys-title-large);
      font-variant-numeric: tabular-nums;
    }
    mat-form-field {
      max-width: 320px;
    }
    .scroll {
      overflow-x: auto;
    }
    table {
      border-collapse: collapse;
    }
    th,
    td {
      text-align: start;
      padding: 6px 16px 6px 0;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
      vertical-align: top;
    }
    .notes {
      max-width: 320px;
    }
    .pages {
      display: flex;
      align-items: center;
      gap: 8px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MyCalls {
  private readonly http = inject(HttpClient);

  /** Any value that changes when the agent's calls may have (their state's `since`). */
  readonly revision = input<unknown>(null);

  protected readonly search = signal('');
  protected readonly pageNumber = signal(1);
  protected readonly figures = remote(
    () => ({ revision: this.revision(), day: toDateInput(new Date()) }),
    ({ day }) => {
      const from = startOfLocalDay(day) ?? '';
      const to = startOfLocalDay(day, 1) ?? '';
      return this.http.get<AgentFigures>(MY_FIGURES_URL, { params: { from, to } });
    },
  );
  protected readonly calls = remote(
    () => ({ revision: this.revision(), student: this.search().trim(), page: this.pageNumber() }),
    ({ student, page }) => {
      const params: Record<string, string> = { page: String(page), pageSize: String(PAGE_SIZE) };
      if (student) params['student'] = student;
      return this.http.get<Page<CallRecord>>(MY_CALLS_URL, { params });
    },
  );
  protected readonly pages = computed(() => Math.max(1, Math.ceil((this.calls.value()?.total ?? 0) / PAGE_SIZE)));
  protected readonly aht = computed(() => {
    const seconds = this.figures.value()?.averageHandleSeconds;
    return seconds === null || seconds === undefined ? '—' : formatDuration(secondsToMs(seconds) ?? 0);
  });

  protected searchFor(event: Event): void {
    this.search.set((event.target as HTMLInputElement).value);
    this.pageNumber.set(1);
  }

  protected when(iso: string): string {
    return formatDateTime(iso);
  }

  protected outcome(call: CallRecord): string {
    return call.outcome ? OUTCOME_LABELS[call.outcome] : 'In progress';
  }
}
