import { ChangeDetectionStrategy, Component, computed, effect, inject, Injectable, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorIntl, MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { ActivatedRoute, Router } from '@angular/router';
import { CALL_OUTCOMES, CallOutcome, CallRecord, CallSortKey, CAPPED_COUNT } from '@switchboard/call-domain';
import { map } from 'rxjs';
import { formatDuration } from '@switchboard/ui';
import { formatDateTime, secondsToMs } from '../format';
import { OUTCOME_LABELS } from '../labels';
import { NavLink } from '../nav-link';
import { remote } from '../remote';
import { SupervisorApi } from '../supervisor-api';
import { CALL_HISTORY_PATH, CallHistoryMemory } from './call-history-memory';
import { CallHistoryView, DEFAULT_VIEW, PAGE_SIZES, readView, toListQuery, viewParams } from './call-history-view';

/**
 * The paginator's range label: `26 – 50 of 120`, or `26 – 50 of more than 10 000` when the
 * API stopped counting (`count=capped`, `totalExact` false).
 */
@Injectable()
export class CallHistoryPaginatorIntl extends MatPaginatorIntl {
  /** Whether the total the paginator holds is a lower bound only. */
  capped = false;

  override getRangeLabel = (page: number, pageSize: number, length: number): string => {
    if (length === 0) return `0 of ${length}`;
    const start = page * pageSize + 1;
    const end = Math.min(length, (page + 1) * pageSize);
    return `${start} – ${end} of ${this.capped ? `more than ${CAPPED_COUNT.toLocaleString('en').replace(',', ' ')}` : length}`;
  };
}

/**
 * The whole view lives in the URL query, so a copied link shows the same calls (`quality=poor`: only
 * calls whose quality crossed a warning threshold); a row's time
 * links to the call's detail page. **Export CSV** downloads every call the filters match.
 */
@Component({
  selector: 'sb-call-history-page',
  imports: [
    ReactiveFormsModule,
    NavLink,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatPaginatorModule,
    MatProgressBarModule,
    MatSelectModule,
    MatSortModule,
    MatTableModule,
  ],
  providers: [{ provide: MatPaginatorIntl, useClass: CallHistoryPaginatorIntl }],
  templateUrl: './call-history-page.html',
  styleUrl: './call-history-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallHistoryPage {
  private readonly api = inject(SupervisorApi);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);

  /** The view the URL asks for. */
  protected readonly view = toSignal(this.route.queryParamMap.pipe(map(readView)), { initialValue: DEFAULT_VIEW });
  protected readonly calls = remote(() => toListQuery(this.view()), (query) => this.api.calls(query));
  protected readonly agents = remote(() => true, () => this.api.agents());
  protected readonly rows = computed<CallRecord[]>(() => this.calls.value()?.items ?? []);
  /**
   * The paginator's length. An exact total as counted. A capped one is a lower bound: while
   * there is a next page the paginator is told of one more row past this page (so Next stays
   * on); at the end the rows seen so far are the count.
   */
  protected readonly total = computed(() => {
    const answer = this.calls.value();
    if (!answer) return 0;
    if (answer.totalExact !== false) return answer.total;
    const { page, pageSize } = this.view();
    return answer.nextCursor ? Math.max(answer.total, page * pageSize + 1) : (page - 1) * pageSize + answer.items.length;
  });
  /** Whether the total is only known to exceed the capped count (no Last page then). */
  protected readonly capped = computed(() => this.calls.value()?.totalExact === false && !!this.calls.value()?.nextCursor);
  protected readonly exporting = signal(false);
  protected readonly exportError = signal<string | null>(null);

  protected readonly columns = ['queuedAt', 'callerName', 'agentName', 'outcome', 'queueSeconds', 'talkSeconds'];
  protected readonly outcomes = CALL_OUTCOMES;
  protected readonly outcomeLabels = OUTCOME_LABELS;
  protected readonly pageSizes = PAGE_SIZES;
  /** A figure in seconds as the page shows it (`m:ss`). */
  protected duration(seconds: number | null | undefined): string {
    return formatDuration(secondsToMs(seconds), 'figure');
  }
  protected readonly formatDateTime = formatDateTime;

  protected readonly filters = new FormGroup({
    from: new FormControl<string>('', { nonNullable: true }),
    to: new FormControl<string>('', { nonNullable: true }),
    agentId: new FormControl<string>('', { nonNullable: true }),
    outcome: new FormControl<CallOutcome[]>([], { nonNullable: true }),
    student: new FormControl<string>('', { nonNullable: true }),
    quality: new FormControl<string>('', { nonNullable: true }),
  });

  constructor() {
    // The view shown is the one the detail page's Back returns to.
    const memory = inject(CallHistoryMemory);
    const intl = inject(MatPaginatorIntl) as CallHistoryPaginatorIntl;
    effect(() => {
      intl.capped = this.capped();
      intl.changes.next();
    });
    effect(() => memory.remember(this.router.serializeUrl(this.router.createUrlTree([CALL_HISTORY_PATH], { queryParams: viewParams(this.view()) }))));
    // The form shows the URL's filters: on arrival, on back/forward, and after Clear.
    effect(() => {
      const v = this.view();
      this.filters.reset({ from: v.from ?? '', to: v.to ?? '', agentId: v.agentId ?? '', outcome: v.outcome, student: v.student, quality: v.quality ?? '' });
    });
  }

  /** Applies the form's filters: they go to the URL (and so to the server), from page 1. */
  protected applyFilters(): void {
    const f = this.filters.getRawValue();
    const quality = f.quality === 'poor' ? 'poor' : null;
    this.show({ from: f.from || null, to: f.to || null, agentId: f.agentId || null, outcome: f.outcome, student: f.student.trim(), quality, page: 1 });
  }

  /** Removes every filter, keeping the sort. */
  protected clearFilters(): void {
    this.show({ from: null, to: null, agentId: null, outcome: [], student: '', quality: null, page: 1 });
  }

  /** Sorts by a column; a cleared sort goes back to newest first. */
  protected sortBy(sort: Sort): void {
    this.show(sort.direction ? { sort: sort.active as CallSortKey, dir: sort.direction, page: 1 } : { sort: DEFAULT_VIEW.sort, dir: DEFAULT_VIEW.dir, page: 1 });
  }

  /**
   * Shows another page, or another page size from the first page. Next and Previous go by the
   * shown page's keyset cursors (the URL keeps the cursor, so a reload shows the same calls);
   * First is the newest page as it is now; Last (offered only for an exact total) goes by page number.
   */
  protected turnPage(event: PageEvent): void {
    const page = event.pageIndex + 1;
    const current = this.calls.value();
    const shown = this.view().page;
    if (event.pageSize !== this.view().pageSize || page === 1) this.show({ page: 1, pageSize: event.pageSize });
    else if (page === shown + 1 && current?.nextCursor) this.show({ page, after: current.nextCursor });
    else if (page === shown - 1 && current?.prevCursor) this.show({ page, before: current.prevCursor });
    else this.show({ page });
  }

  /** The call's outcome as it reads on screen. */
  protected outcomeOf(call: CallRecord): string {
    return call.outcome ? OUTCOME_LABELS[call.outcome] : 'In progress';
  }

  /** The URL of a call's detail page. */
  protected detailUrl(call: CallRecord): string {
    return `${CALL_HISTORY_PATH}/${encodeURIComponent(call.id)}`;
  }

  /** Opens a call's detail page (the time cell's link is the keyboard's way to the same page). */
  protected openCall(call: CallRecord): void {
    void this.router.navigateByUrl(this.detailUrl(call));
  }

  /** Downloads every call the current filters match as a CSV file, in the table's order. */
  protected async exportCsv(): Promise<void> {
    const { page: _page, pageSize: _size, after: _after, before: _before, count: _count, ...query } = toListQuery(this.view());
    this.exporting.set(true);
    this.exportError.set(null);
    try {
      const blob = await this.api.exportCalls(query);
      saveBlob(blob, `calls-${new Date().toISOString().slice(0, 10)}.csv`);
    } catch {
      this.exportError.set('The export failed. Please try again.');
    } finally {
      this.exporting.set(false);
    }
  }

  /** Shows the view with `change`: from no cursor unless the change names one. */
  private show(change: Partial<CallHistoryView>): void {
    const view = { ...this.view(), after: null, before: null, ...change };
    void this.router.navigate([], { relativeTo: this.route, queryParams: viewParams(view) });
  }
}

// The export needs the Authorization header, so it is fetched as a blob and saved through a
// temporary object URL rather than linked.
function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url));
}
