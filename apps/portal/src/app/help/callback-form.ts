import { ChangeDetectionStrategy, Component, computed, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';

/** What the student asks for in a callback request. */
export interface CallbackRequest {
  name: string;
  note: string;
}

/**
 * The callback request form shown after a call ended unanswered: the name to ask for
 * (prefilled), a note, and **Request callback**.
 */
@Component({
  selector: 'sb-callback-form',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule],
  template: `
    <form aria-labelledby="callback-heading" (submit)="$event.preventDefault(); submit()">
      <h2 id="callback-heading">Ask to be called back</h2>
      <mat-form-field>
        <mat-label>Your name</mat-label>
        <input matInput name="name" maxlength="80" required [value]="name()" (input)="typedName.set(field($event))" />
      </mat-form-field>
      <!-- Dynamic subscript: the hint takes its own room instead of a fixed line the button overlaps. -->
      <mat-form-field subscriptSizing="dynamic">
        <mat-label>Note for the help desk</mat-label>
        <textarea matInput name="note" rows="3" maxlength="500" [value]="note()" (input)="note.set(field($event))"></textarea>
        <mat-hint>How to reach you and what it is about.</mat-hint>
      </mat-form-field>
      <div>
        <button matButton="filled" type="submit" [disabled]="sending() || !name().trim()">Request callback</button>
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
      margin: 0 0 8px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CallbackForm {
  /** The name the form starts with (the signed-in student's). */
  readonly defaultName = input('');
  /** Whether a request is on its way (the button is disabled). */
  readonly sending = input(false);
  /** Emits the request when the student clicks Request callback. */
  readonly requested = output<CallbackRequest>();

  protected readonly typedName = signal<string | null>(null);
  /** The name in the field: the default until the student types. */
  protected readonly name = computed(() => this.typedName() ?? this.defaultName());
  protected readonly note = signal('');

  protected field(event: Event): string {
    return (event.target as HTMLInputElement | HTMLTextAreaElement).value;
  }

  protected submit(): void {
    if (this.sending() || !this.name().trim()) return;
    this.requested.emit({ name: this.name(), note: this.note() });
  }
}
