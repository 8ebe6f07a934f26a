import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatTabsModule } from '@angular/material/tabs';
import { NavigationEnd, Router, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { NavLink } from './nav-link';

/** The supervisor's sections, in tab order. */
const SECTIONS = [
  { path: '/supervisor', label: 'Live', exact: true },
  { path: '/supervisor/calls', label: 'Call history', exact: false },
  { path: '/supervisor/metrics', label: 'Metrics', exact: false },
  { path: '/supervisor/callbacks', label: 'Callbacks', exact: false },
] as const;

/**
 * The supervisor's page (`/supervisor`): a tab bar of its sections (Live, Call history,
 * Metrics, Callbacks), each a lazy child route shown in the tab panel.
 */
@Component({
  selector: 'sb-supervisor-page',
  imports: [MatTabsModule, NavLink, RouterOutlet],
  template: `
    <h1>Supervisor</h1>
    <nav mat-tab-nav-bar [tabPanel]="panel" aria-label="Supervisor sections">
      @for (section of sections; track section.path) {
        <a mat-tab-link [sbNavLink]="section.path" [active]="isActive(section)">{{ section.label }}</a>
      }
    </nav>
    <mat-tab-nav-panel #panel>
      <router-outlet />
    </mat-tab-nav-panel>
  `,
  styles: `
    h1 {
      font: var(--mat-sys-headline-small);
      margin: 0 0 8px;
    }
    mat-tab-nav-panel {
      display: block;
      padding-top: 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SupervisorPage {
  private readonly router = inject(Router);
  private readonly path = toSignal(
    this.router.events.pipe(
      filter((event) => event instanceof NavigationEnd),
      map(() => this.currentPath()),
    ),
    { initialValue: this.currentPath() },
  );

  protected readonly sections = SECTIONS;

  /** Whether the page shown belongs to `section` (the call detail belongs to Call history). */
  protected isActive(section: (typeof SECTIONS)[number]): boolean {
    const path = this.path();
    return section.exact ? path === section.path : path === section.path || path.startsWith(`${section.path}/`);
  }

  private currentPath(): string {
    return this.router.url.split(/[?#]/)[0];
  }
}
