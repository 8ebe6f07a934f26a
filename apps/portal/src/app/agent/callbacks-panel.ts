import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, output, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import type { CallbackEvent, CallbackRecord, CallbackRequest, Page } from '@switchboard/call-domain';
import { SignalingClient } from '@switchboard/call-domain/signaling';
import { firstValueFrom } from 'rxjs';
import { Session } from '../auth/session';
import { messageOf } from '../call-leg';
import { formatDateTime } from '../supervisor/format';
import { OUTCOME_LABELS } from '../supervisor/labels';

/** Where agents read and work callback requests. */
export const AGENT_CALLBACKS_URL = '/api/agent/callbacks';
/** Where one request's life is read. */
export const CALLBACK_RECORD_URL = '/api/callbacks';

/** One entry of a request's life in words, e.g. "Call placed by Alex Agent — Answered". */
export function describeCallbackEvent(event: CallbackEvent): string {
  const by = event.actorName ? ` by ${event.actorName}` : '';
  switch (event.type) {
    case 'requested':
      return `Requested${by}${event.note ? `: ${event.note}` : ''}`;
    case 'taken':
      return `Taken${by}`;
    case 'attempt':
      return `Attempt${by}: ${event.note ?? ''}`;
    case 'call_placed':
      return `Call placed${by} — ${event.callOutcome ? OUTCOME_LABELS[event.callOutcome] : 'in progress'}`;
    case 'done':
      return `Done${by}`;
  }
}

/**
 * The agent's callback requests (open ones, oldest first): **Take** one (the other agents see it
 * taken), then **Call** the student — enabled only while the student is signed in and the agent is
 * free to call (`canCall`) — or **Record attempt** with a note, and **Mark done**. **History** shows the
 * request's life. Kept current by `callbackChanged` (taken, attempts, calls, the student signing in
 * or out).
 */
@Component({
  selector: 'sb-callbacks-panel',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule],
  template: `
    <section class="callbacks" aria-labelledby="callbacks-heading">
      <h2 id="callbacks-heading">Callback requests</h2>
      @if (error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      }
      @for (cb of items(); track cb.id) {
        <article class="callback" [attr.aria-label]="'Callback request from ' + cb.name">
          <p class="who">
            <strong class="name">{{ cb.name }}</strong>
            <span class="presence">{{ cb.studentOnline ? 'Signed in' : 'Not signed in' }}</span>
          </p>
          @if (cb.note) {
            <p class="note">{{ cb.note }}</p>
          }
          <p class="meta">
            Requested {{ when(cb.createdAt) }} · Attempts: {{ cb.attempts ?? 0 }}
            @if (cb.takenByName; as taker) {
              · <span class="taken">Taken by {{ cb.takenById === me() ? 'you' : taker }}</span>
            }
          </p>
          <div class="actions">
            @if (!cb.takenById) {
              <button matButton="tonal" type="button" [disabled]="busy().has(cb.id)" (click)="take(cb)">Take</button>
            } @else if (cb.takenById === me()) {
              <button matButton="filled" type="button" [disabled]="!cb.studentOnline || !canCall() || !!cb.activeCallId" (click)="called.emit(cb)">Call</button>
              <button matButton="outlined" type="button" (click)="openAttempt(cb.id)">Record attempt</button>
              <button matButton="outlined" type="button" [disabled]="busy().has(cb.id)" (click)="markDone(cb)">Mark done</button>
            }
            <button matButton type="button" [attr.aria-expanded]="record()?.id === cb.id" (click)="toggleHistory(cb)">History</button>
          </div>
          @if (attemptFor() === cb.id) {
            <form class="attempt" (submit)="$event.preventDefault(); saveAttempt(cb)">
              <mat-form-field>
                <mat-label>What happened</mat-label>
                <textarea matInput required maxlength="500" [value]="note()" (input)="note.set($any($event.target).value)"></textarea>
              </mat-form-field>
              <button matButton="filled" type="submit" [disabled]="!note().trim() || busy().has(cb.id)">Save attempt</button>
              <button matButton type="button" (click)="attemptFor.set(null)">Cancel</button>
            </form>
          }
          @if (record(); as record) {
            @if (record.id === cb.id) {
              <ol class="life" aria-label="History">
                @for (event of record.life; track $index) {
                  <li><span class="at">{{ when(event.at) }}</span> {{ describe(event) }}</li>
                }
              </ol>
            }
          }
        </article>
      } @empty {
        <p class="empty">No open callback requests.</p>
      }
    </section>
  `,
  styles: `
    .callbacks {
      display: flex;
      flex-direction: column;
      gap: 12px;
    }
    h2 {
      font: var(--mat-sys-title-large);
      margin: 0;
    }
    p {
      margin: 0;
    }
    .callback {
      display: flex;
      flex-direction: column;
      gap: 4px;
      padding: 12px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
    }
    .who {
      display: flex;
      gap: 12px;
      align-items: baseline;
    }
    .meta,
    .presence,
    .at {
      color: var(--mat-sys-on-surface-variant);
    }
    .actions,
    .attempt {
      display: flex;
      flex-wrap: wrap;
      gap: 8px;
      align-items: center;
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallbacksPanel {
  /** Whether the agent may place a call now (Available or Away, with no call in hand). */
  readonly canCall = input(false);
  /** **Call** was clicked on a request this agent took. */
  readonly called = output<CallbackRequest>();

  private readonly http = inject(HttpClient);
  private readonly session = inject(Session);
  protected readonly items = signal<CallbackRequest[]>([]);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal<ReadonlySet<string>>(new Set());
  protected readonly attemptFor = signal<string | null>(null);
  protected readonly note = signal('');
  protected readonly record = signal<CallbackRecord | null>(null);
  protected readonly me = computed(() => this.session.user()?.id ?? null);
  protected readonly describe = describeCallbackEvent;
  protected readonly when = formatDateTime;

  constructor() {
    inject(SignalingClient)
      .callbackChanged$.pipe(takeUntilDestroyed())
      .subscribe((changed) => this.changed(changed));
    void this.load();
  }

  protected take(cb: CallbackRequest): Promise<void> {
    return this.act(cb.id, () => this.post(`${AGENT_CALLBACKS_URL}/${cb.id}/take`));
  }

  protected markDone(cb: CallbackRequest): Promise<void> {
    return this.act(cb.id, () => this.post(`${AGENT_CALLBACKS_URL}/${cb.id}/done`));
  }

  protected openAttempt(id: string): void {
    this.note.set('');
    this.attemptFor.set(id);
  }

  protected async saveAttempt(cb: CallbackRequest): Promise<void> {
    const note = this.note().trim();
    if (!note) return;
    await this.act(cb.id, () => this.post(`${AGENT_CALLBACKS_URL}/${cb.id}/attempts`, { note }));
    if (!this.error()) this.attemptFor.set(null);
  }

  protected async toggleHistory(cb: CallbackRequest): Promise<void> {
    if (this.record()?.id === cb.id) {
      this.record.set(null);
      return;
    }
    await this.act(cb.id, async () => {
      this.record.set(await firstValueFrom(this.http.get<CallbackRecord>(`${CALLBACK_RECORD_URL}/${cb.id}`)));
      return null;
    });
  }

  private async load(): Promise<void> {
    try {
      const page = await firstValueFrom(this.http.get<Page<CallbackRequest>>(AGENT_CALLBACKS_URL));
      this.items.set(page.items);
    } catch (error) {
      this.error.set(`The callback requests could not be loaded. ${messageOf(error, '')}`.trim());
    }
  }

  private post(url: string, body: unknown = {}): Promise<CallbackRequest> {
    return firstValueFrom(this.http.post<CallbackRequest>(url, body));
  }

  /** Runs one action on request `id`; its answer (the request as it is now) replaces it in the list. */
  private async act(id: string, work: () => Promise<CallbackRequest | null>): Promise<void> {
    this.error.set(null);
    this.busy.update((s) => new Set(s).add(id));
    try {
      const changed = await work();
      if (changed) this.changed(changed);
    } catch (error) {
      this.error.set(problemDetail(error));
    } finally {
      this.busy.update((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  }

  /** A request changed: updated in place (a new one joins the end), gone once done; its open history is read again. */
  private changed(request: CallbackRequest): void {
    this.items.update((items) => {
      const rest = items.filter((c) => c.id !== request.id);
      if (request.doneAt) return rest;
      const at = items.findIndex((c) => c.id === request.id);
      return at < 0 ? [...items, request] : items.map((c) => (c.id === request.id ? request : c));
    });
    if (this.record()?.id === request.id) {
      this.record.set(null);
      void this.toggleHistory(request);
    }
  }
}

/** The detail of an HTTP problem answer, or a generic message. */
function problemDetail(error: unknown): string {
  const detail = (error as { error?: { detail?: unknown } } | null)?.error?.detail;
  return typeof detail === 'string' ? detail : 'That did not work; please try again.';
}
