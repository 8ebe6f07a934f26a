import { ChangeDetectionStrategy, Component, type ElementRef, Injector, afterNextRender, effect, inject, viewChild } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatToolbarModule } from '@angular/material/toolbar';
import { NavigationEnd, Router, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
import { Session } from '../auth/session';
import { ColorScheme } from './color-scheme';

/**
 * The frame around every signed-in page: a "Skip to main content" link, a toolbar (product
 * name, who is signed in, the dark theme toggle, Sign out) in the page header, and the page
 * itself in `main`. After each navigation the focus moves to the page's heading.
 */
@Component({
  selector: 'sb-app-shell',
  imports: [MatToolbarModule, MatButtonModule, MatIconModule, RouterOutlet],
  template: `
    <a class="skip-link" href="#main-content" (click)="skipToMain($event)">Skip to main content</a>
    <header>
      <mat-toolbar>
        <span class="product">Switchboard</span>
        <span class="spacer"></span>
        @if (session.user(); as user) {
          <span class="user"><span class="visually-hidden">Signed in as </span>{{ user.displayName }}</span>
        }
        <button matIconButton type="button" aria-label="Dark theme" [attr.aria-pressed]="colorScheme.dark()" (click)="colorScheme.toggle()">
          <mat-icon aria-hidden="true">{{ colorScheme.dark() ? 'dark_mode' : 'light_mode' }}</mat-icon>
        </button>
        <button matButton type="button" (click)="signOut()">
          <mat-icon aria-hidden="true">logout</mat-icon>
          Sign out
        </button>
      </mat-toolbar>
    </header>
    <main id="main-content" tabindex="-1" #main>
      <router-outlet />
    </main>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100%;
    }
    .skip-link {
      position: absolute;
      left: 8px;
      top: -48px;
      z-index: 10;
      padding: 8px 16px;
      border-radius: 4px;
      background: var(--mat-sys-primary);
      color: var(--mat-sys-on-primary);
    }
    .skip-link:focus {
      top: 8px;
    }
    mat-toolbar {
      gap: 8px 16px;
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
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      min-width: 0;
    }
    main {
      flex: 1;
      padding: 16px 24px;
      min-width: 0;
    }
    main:focus {
      outline: none;
    }
    @media (max-width: 480px) {
      mat-toolbar {
        padding: 0 8px;
      }
      .user {
        display: none;
      }
      main {
        padding: 12px;
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AppShell {
  protected readonly session = inject(Session);
  protected readonly colorScheme = inject(ColorScheme);
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');
  private readonly injector = inject(Injector);

  /** The last navigation that ended (sign-in included). */
  private readonly navigated = toSignal(inject(Router).events.pipe(filter((e) => e instanceof NavigationEnd)));

  constructor() {
    // After each navigation the focus goes to the new page's heading, not to the body: a
    // screen reader says where the person is, and Tab continues from there.
    effect(() => {
      if (this.navigated()) afterNextRender(() => this.focusPage(), { injector: this.injector });
    });
  }

  /** The skip link: focus (not only scroll) moves to the page. */
  protected skipToMain(event: Event): void {
    event.preventDefault();
    this.focusPage();
  }

  /** Focuses the page's main heading (made focusable for it), or `main`. */
  private focusPage(): void {
    const main = this.main().nativeElement;
    const heading = main.querySelector<HTMLElement>('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    } else {
      main.focus();
    }
  }

  /** Ends the session and shows the sign-in page. */
  protected signOut(): void {
    void this.session.signOut();
  }
}
