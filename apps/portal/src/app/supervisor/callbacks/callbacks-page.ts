import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { CallbackRequest, CallbackStatus } from '@switchboard/call-domain';
import { formatDateTime } from '../format';
import { remote } from '../remote';
import { SupervisorApi } from '../supervisor-api';

/**
 * Callbacks (`/supervisor/callbacks`): what students asked when nobody answered, open ones
 * oldest first, each with **Mark done**.
 */
@Component({
  selector: 'sb-callbacks-page',
  imports: [MatButtonModule, MatFormFieldModule, MatPaginatorModule, MatSelectModule, MatTableModule],
  template: `
    <h2 class="visually-hidden" id="callbacks-heading">Callback requests</h2>
    <mat-form-field>
      <mat-label>Show</mat-label>
      <mat-select [value]="status()" (valueChange)="showStatus($event)">
        <mat-option value="open">Open requests</mat-option>
        <mat-option value="done">Done requests</mat-option>
        <mat-option value="all">All requests</mat-option>
      </mat-select>
    </mat-form-field>
    @if (error(); as message) {
      <p class="error" role="alert">{{ message }}</p>
    }
    <table mat-table [dataSource]="rows()" aria-labelledby="callbacks-heading">
      <ng-container matColumnDef="createdAt">
        <th mat-header-cell *matHeaderCellDef>Time</th>
        <td mat-cell *matCellDef="let cb">{{ formatDateTime(cb.createdAt) }}</td>
      </ng-container>
      <ng-container matColumnDef="name">
        <th mat-header-cell *matHeaderCellDef>Student</th>
        <td mat-cell *matCellDef="let cb">{{ cb.name }}</td>
      </ng-container>
      <ng-container matColumnDef="note">
        <th mat-header-cell *matHeaderCellDef>Note</th>
        <td mat-cell *matCellDef="let cb" class="note">{{ cb.note || '—' }}</td>
      </ng-container>
      <ng-container matColumnDef="action">
        <th mat-header-cell *matHeaderCellDef>Status</th>
        <td mat-cell *matCellDef="let cb">
          @if (cb.doneAt) {
            {{ doneText(cb) }}
          } @else {
            <button matButton="tonal" type="button" [disabled]="marking().has(cb.id)" [attr.aria-label]="'Mark done: ' + cb.name" (click)="markDone(cb)">
              Mark done
            </button>
          }
        </td>
      </ng-container>
      <tr mat-header-row *matHeaderRowDef="columns"></tr>
      <tr mat-row *matRowDef="let cb; columns: columns"></tr>
      <tr class="mat-mdc-row" *matNoDataRow>
        <td class="mat-mdc-cell" [attr.colspan]="columns.length">{{ callbacks.isLoading() ? 'Loading…' : 'No callback requests.' }}</td>
      </tr>
    </table>
    <mat-paginator [length]="total()" [pageIndex]="page() - 1" [pageSize]="pageSize()" [pageSizeOptions]="[25, 50, 100]" aria-label="Pages of callback requests" (page)="turnPage($event)" />
  `,
  styles: `
    .note {
      white-space: pre-wrap;
      max-width: 40ch;
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallbacksPage {
  private readonly api = inject(SupervisorApi);

  protected readonly status = signal<CallbackStatus>('open');
  protected readonly page = signal(1);
  protected readonly pageSize = signal(25);
  protected readonly callbacks = remote(
    () => ({ status: this.status(), page: this.page(), pageSize: this.pageSize() }),
    (query) => this.api.callbacks(query),
  );
  protected readonly rows = computed<CallbackRequest[]>(() => this.callbacks.value()?.items ?? []);
  protected readonly total = computed(() => this.callbacks.value()?.total ?? 0);
  protected readonly formatDateTime = formatDateTime;
  protected readonly marking = signal<ReadonlySet<string>>(new Set());
  protected readonly error = signal<string | null>(null);
  protected readonly columns = ['createdAt', 'name', 'note', 'action'];

  /** Who marked a request done, and when. */
  protected doneText(request: CallbackRequest): string {
    return `Done by ${request.doneByName ?? 'a supervisor'}, ${formatDateTime(request.doneAt)}`;
  }

  /** Lists open, done or all requests, from the first page. */
  protected showStatus(status: CallbackStatus): void {
    this.status.set(status);
    this.page.set(1);
  }

  /** Shows another page. */
  protected turnPage(event: PageEvent): void {
    this.page.set(event.pageSize === this.pageSize() ? event.pageIndex + 1 : 1);
    this.pageSize.set(event.pageSize);
  }

  /** Marks a request done, then reloads the list (it leaves the open list). */
  protected async markDone(request: CallbackRequest): Promise<void> {
    this.marking.update((ids) => new Set(ids).add(request.id));
    this.error.set(null);
    try {
      await this.api.markCallbackDone(request.id);
      this.callbacks.reload();
    } catch {
      this.error.set(`The request of ${request.name} could not be marked done. Please try again.`);
    } finally {
      this.marking.update((ids) => {
        const next = new Set(ids);
        next.delete(request.id);
        return next;
      });
    }
  }
}
