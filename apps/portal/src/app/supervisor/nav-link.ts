import { DOCUMENT } from '@angular/common';
import { Directive, inject, InjectionToken, input } from '@angular/core';
import { Router } from '@angular/router';

/** Loads a URL as a whole page (the browser's own link behaviour); replaceable in tests. */
export const PAGE_LOAD = new InjectionToken<(url: string) => void>('PAGE_LOAD', {
  providedIn: 'root',
  factory: () => {
    const location = inject(DOCUMENT).location;
    return (url: string) => location.assign(url);
  },
});

/**
 * A link inside the app: a real `href` (open in a new tab, copy link address) and, on a plain
 * click, navigation by the router instead of a page load.
 *
 * `RouterLink` would do this, but no other page uses it, so its code would be the supervisor
 * pages' alone yet land in the initial bundle (the router module is loaded at start) and put
 * it over its budget.
 */
@Directive({
  selector: 'a[sbNavLink]',
  host: { '[attr.href]': 'sbNavLink()', '(click)': 'follow($event)' },
})
export class NavLink {
  private readonly router = inject(Router);
  private readonly pageLoad = inject(PAGE_LOAD);

  /** The absolute URL to open, query included. */
  readonly sbNavLink = input.required<string>();

  /**
   * Opens the URL in the app, unless the click asks for a new tab or window. The click's
   * default (a page load) is prevented, so if the router fails (a lazy page's code could not
   * be fetched) the link does what the browser would have done: it loads the URL as a page.
   * A click must always go where the link says.
   */
  protected follow(event: MouseEvent): void {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const url = this.sbNavLink();
    this.router.navigateByUrl(url).catch(() => this.pageLoad(url));
  }
}
