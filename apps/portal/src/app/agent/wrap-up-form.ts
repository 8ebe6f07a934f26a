import { ChangeDetectionStrategy, Component, Injector, afterNextRender, computed, effect, inject, input, output, signal, untracked, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelect, MatSelectModule } from '@angular/material/select';
import { focusIsNowhere } from './focus-nowhere';

/** What the agent records at wrap-up. */
export interface WrapUpEntry {
  disposition: string;
  notes: string;
}

/** Where a wrap-up's unsaved entry is kept for its call (`sessionStorage`, so this tab only). */
export function wrapUpDraftKey(callId: string): string {
  return `switchboard.wrapUp.${callId}`;
}

/**
 * Wrap-up (after-call work): a disposition from the configured list (the first is
 * preselected unless the configuration requires the agent to choose; Done waits while the list
 * is loading, so a quick Done cannot save a default the agent never saw), notes, the time left
 * before wrap-up ends by itself with **+30 s** to extend it, and **Done**. What the agent
 * types is kept in this tab for the call, so a reload loses nothing; Done forgets it. It takes
 * the focus on the Disposition when it opens: after Hang up that is the agent's next step.
 */
@Component({
  selector: 'sb-wrap-up-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule],
  template: `
    <form aria-labelledby="wrap-up-heading" (submit)="$event.preventDefault(); submit()">
      <h2 id="wrap-up-heading">Wrap-up</h2>
      @if (remaining(); as left) {
        <p class="countdown">
          Wrap-up ends in <span class="time">{{ left }}</span>
          @if (canExtend()) {
            <button matButton type="button" (click)="extended.emit()">+30 s<span class="visually-hidden"> more wrap-up time</span></button>
          }
        </p>
      }
      <mat-form-field>
        <mat-label>Disposition</mat-label>
        <mat-select #dispositionSelect name="disposition" required [value]="disposition()" (valueChange)="choose($event)">
          @for (option of dispositions(); track option) {
            <mat-option [value]="option">{{ option }}</mat-option>
          }
        </mat-select>
        @if (loading()) {
          <mat-hint>Loading dispositions…</mat-hint>
        } @else if (dispositionRequired()) {
          <mat-hint>Choose what the call was about to finish.</mat-hint>
        }
      </mat-form-field>
      <mat-form-field>
        <mat-label>Notes</mat-label>
        <textarea matInput name="notes" rows="4" maxlength="2000" [value]="notes()" (input)="typeNotes(field($event))"></textarea>
      </mat-form-field>
      <div>
        <button matButton="filled" type="submit" [disabled]="loading() || !disposition()">Done</button>
      </div>
    </form>
  `,
  styles: `
    form {
      display: flex;
      flex-direction: column;
      gap: 8px;
      max-width: 420px;
    }
    h2 {
      font: var(--mat-sys-title-large);
      margin: 0;
    }
    .countdown {
      display: flex;
      align-items: center;
      gap: 8px;
      margin: 0 0 8px;
    }
    .time {
      font-variant-numeric: tabular-nums;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class WrapUpForm {
  /** The call wrapped up: its unsaved entry is kept under its id. */
  readonly callId = input<string | null>(null);
  /** The dispositions to pick from, in display order. */
  readonly dispositions = input<readonly string[]>([]);
  /**
   * Whether the dispositions are still on their way: Done waits for them, and the Disposition
   * says so (its hint is also its accessible description).
   */
  readonly loading = input(false);
  /** Whether the agent must choose a disposition (none preselected). */
  readonly dispositionRequired = input(false);
  /** Time left before wrap-up ends by itself (mm:ss), or null when unknown. */
  readonly remaining = input<string | null>(null);
  /** Whether "+30 s" is offered (the configured maximum is not reached). */
  readonly canExtend = input(false);
  /** Emits the entry when the agent clicks Done. */
  readonly done = output<WrapUpEntry>();
  /** Emits when the agent asks for 30 s more. */
  readonly extended = output<void>();

  protected readonly chosen = signal<string | null>(null);
  /** The disposition picked; until the agent picks one, the first of the list unless a choice is required. */
  protected readonly disposition = computed(() => {
    const chosen = this.chosen();
    if (chosen !== null && this.dispositions().includes(chosen)) return chosen;
    return this.dispositionRequired() ? '' : (this.dispositions()[0] ?? '');
  });
  protected readonly notes = signal('');

  private readonly dispositionSelect = viewChild.required<MatSelect>('dispositionSelect');
  private readonly injector = inject(Injector);

  constructor() {
    afterNextRender(() => this.dispositionSelect().focus());
    // The list arrived after a failed read: the page's "Try again" banner, which may have had
    // the focus, is gone; the focus, if it went nowhere, comes back to the Disposition.
    let wasLoading = false;
    effect(() => {
      const loading = this.loading();
      if (wasLoading && !loading) {
        afterNextRender(() => {
          if (focusIsNowhere()) this.dispositionSelect().focus();
        }, { injector: this.injector });
      }
      wasLoading = loading;
    });
    // The draft of this call, if this tab kept one (the page was reloaded mid wrap-up).
    effect(() => {
      const key = this.draftKey();
      if (!key) return;
      const draft = readDraft(key);
      untracked(() => {
        if (draft) {
          this.chosen.set(draft.disposition || null);
          this.notes.set(draft.notes);
        }
      });
    });
  }

  protected field(event: Event): string {
    return (event.target as HTMLTextAreaElement).value;
  }

  protected choose(disposition: string): void {
    this.chosen.set(disposition);
    this.saveDraft();
  }

  protected typeNotes(notes: string): void {
    this.notes.set(notes);
    this.saveDraft();
  }

  protected submit(): void {
    if (this.loading() || !this.disposition()) return;
    this.done.emit({ disposition: this.disposition(), notes: this.notes() });
    const key = this.draftKey();
    if (key) sessionStorage.removeItem(key);
  }

  private draftKey(): string | null {
    const callId = this.callId();
    return callId ? wrapUpDraftKey(callId) : null;
  }

  private saveDraft(): void {
    const key = this.draftKey();
    if (key) sessionStorage.setItem(key, JSON.stringify({ disposition: this.chosen() ?? '', notes: this.notes() } satisfies WrapUpEntry));
  }
}

function readDraft(key: string): WrapUpEntry | null {
  try {
    const draft = JSON.parse(sessionStorage.getItem(key) ?? 'null') as Partial<WrapUpEntry> | null;
    return draft && typeof draft.notes === 'string' ? { disposition: typeof draft.disposition === 'string' ? draft.disposition : '', notes: draft.notes } : null;
  } catch {
    return null;
  }
}
