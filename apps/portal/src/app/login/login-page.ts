import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { Router } from '@angular/router';
import { HOME_BY_ROLE, Problem } from '@switchboard/call-domain';
import { Session } from '../auth/session';

/** The message shown when an expired or rejected session sent the user here (`?expired=1`). */
export const EXPIRED_MESSAGE = 'Your session has expired. Please sign in again.';

/** The message for a 401 at sign-in; it never says which of the two fields was wrong. */
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid username or password';

/** The sign-in page (`/login`): username and password, then the page of the user's role. */
@Component({
  selector: 'sb-login-page',
  imports: [ReactiveFormsModule, MatCardModule, MatFormFieldModule, MatInputModule, MatButtonModule],
  templateUrl: './login-page.html',
  styleUrl: './login-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  private readonly session = inject(Session);
  private readonly router = inject(Router);

  /** The `expired` query parameter: `1` when an expired session sent the user here. */
  readonly expired = input<string>();

  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', Validators.required],
    password: ['', Validators.required],
  });
  protected readonly submitting = signal(false);
  protected readonly error = signal<string | null>(null);
  /** The expiry notice, until the user tries again (then only the new outcome is shown). */
  protected readonly notice = computed(() => (this.expired() === '1' && !this.attempted() ? EXPIRED_MESSAGE : null));
  private readonly attempted = signal(false);

  /** Signs in with the form's credentials and goes to the user's home; shows why if it fails. */
  protected async submit(): Promise<void> {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.attempted.set(true);
    this.error.set(null);
    this.submitting.set(true);
    this.form.disable();
    try {
      const user = await this.session.signIn(this.form.getRawValue());
      await this.router.navigateByUrl(HOME_BY_ROLE[user.role]);
    } catch (error) {
      this.error.set(describeFailure(error));
      this.form.enable();
      this.form.controls.password.reset();
    } finally {
      this.submitting.set(false);
    }
  }
}

function describeFailure(error: unknown): string {
  if (!(error instanceof HttpErrorResponse)) return 'Sign-in failed. Please try again.';
  if (error.status === 401) return INVALID_CREDENTIALS_MESSAGE;
  if (error.status === 0) return 'Cannot reach Switchboard. Check your connection and try again.';
  if (error.status === 429) return 'Too many sign-in attempts. Wait a minute and try again.';
  const detail = (error.error as Partial<Problem> | null)?.detail;
  if (error.status < 500 && typeof detail === 'string' && detail) return detail;
  return 'Switchboard could not sign you in right now. Please try again in a moment.';
}
