import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatToolbarModule } from '@angular/material/toolbar';
import { RouterOutlet } from '@angular/router';
import { Session } from '../auth/session';

/**
 * The frame around every signed-in page: a toolbar (product name, who is signed in, Sign out)
 * in the page header, and the page itself in `main`.
 */
@Component({
  selector: 'sb-app-shell',
  imports: [MatToolbarModule, MatButtonModule, MatIconModule, RouterOutlet],
  template: `
    <header>
      <mat-toolbar>
        <span class="product">Switchboard</span>
        <span class="spacer"></span>
        @if (session.user(); as user) {
          <span class="user"><span class="visually-hidden">Signed in as </span>{{ user.displayName }}</span>
        }
        <button matButton type="button" (click)="signOut()">
          <mat-icon aria-hidden="true">logout</mat-icon>
          Sign out
        </button>
      </mat-toolbar>
    </header>
    <main>
      <router-outlet />
    </main>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100%;
    }
    mat-toolbar {
      gap: 16px;
      background: var(--mat-sys-surface-container);
    }
    .product {
      font: var(--mat-sys-title-large);
    }
    .spacer {
      flex: 1;
    }
    .user {
      font: var(--mat-sys-body-large);
    }
    main {
      flex: 1;
      padding: 16px 24px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AppShell {
  protected readonly session = inject(Session);

  /** Ends the session and shows the sign-in page. */
  protected signOut(): void {
    void this.session.signOut();
  }
}
