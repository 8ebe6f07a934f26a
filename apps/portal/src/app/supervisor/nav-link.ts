import { Directive, inject, input } from '@angular/core';
import { Router } from '@angular/router';

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

  /** The absolute URL to open, query included. */
  readonly sbNavLink = input.required<string>();

  /** Opens the URL in the app, unless the click asks for a new tab or window. */
  protected follow(event: MouseEvent): void {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void this.router.navigateByUrl(this.sbNavLink());
  }
}
