import { ChangeDetectionStrategy, Component, afterNextRender, computed, input, output, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelect, MatSelectModule } from '@angular/material/select';

/** What the agent records at wrap-up. */
export interface WrapUpEntry {
  disposition: string;
  notes: string;
}

/**
 * Wrap-up (after-call work): a disposition from the configured list (the first is
 * preselected), notes, the time left before wrap-up ends by itself, and **Done**. It takes
 * the focus on the Disposition when it opens: after Hang up that is the agent's next step.
 */
@Component({
  selector: 'sb-wrap-up-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule],
  template: `
    <form aria-labelledby="wrap-up-heading" (submit)="$event.preventDefault(); submit()">
      <h2 id="wrap-up-heading">Wrap-up</h2>
      @if (remaining(); as left) {
        <p class="countdown">Wrap-up ends in <span class="time">{{ left }}</span></p>
      }
      <mat-form-field>
        <mat-label>Disposition</mat-label>
        <mat-select #dispositionSelect name="disposition" required [value]="disposition()" (valueChange)="chosen.set($event)">
          @for (option of dispositions(); track option) {
            <mat-option [value]="option">{{ option }}</mat-option>
          }
        </mat-select>
      </mat-form-field>
      <mat-form-field>
        <mat-label>Notes</mat-label>
        <textarea matInput name="notes" rows="4" maxlength="2000" [value]="notes()" (input)="notes.set(field($event))"></textarea>
      </mat-form-field>
      <div>
        <button matButton="filled" type="submit" [disabled]="!disposition()">Done</button>
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
      margin: 0 0 8px;
    }
    .time {
      font-variant-numeric: tabular-nums;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class WrapUpForm {
  /** The dispositions to pick from, in display order. */
  readonly dispositions = input<readonly string[]>([]);
  /** Time left before wrap-up ends by itself (mm:ss), or null when unknown. */
  readonly remaining = input<string | null>(null);
  /** Emits the entry when the agent clicks Done. */
  readonly done = output<WrapUpEntry>();

  protected readonly chosen = signal<string | null>(null);
  /** The disposition picked, the first of the list until the agent picks one. */
  protected readonly disposition = computed(() => this.chosen() ?? this.dispositions()[0] ?? '');
  protected readonly notes = signal('');

  private readonly dispositionSelect = viewChild.required<MatSelect>('dispositionSelect');

  constructor() {
    afterNextRender(() => this.dispositionSelect().focus());
  }

  protected field(event: Event): string {
    return (event.target as HTMLTextAreaElement).value;
  }

  protected submit(): void {
    if (!this.disposition()) return;
    this.done.emit({ disposition: this.disposition(), notes: this.notes() });
  }
}
