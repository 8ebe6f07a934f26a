import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';

/** Where this browser remembers the person's choice of light or dark (absent: follow the system). */
export const COLOR_SCHEME_KEY = 'switchboard.colorScheme';

/** A choice of colours: the system's setting, or always light or dark. */
export type ColorSchemeChoice = 'system' | 'light' | 'dark';

/**
 * Light or dark theme. The Material theme is built with `theme-type: color-scheme` (styles.scss),
 * so its colours follow the CSS `color-scheme` of the page: `light dark` (the system's setting)
 * until the person picks one, which is then set on `<html>` and remembered in this browser.
 */
@Injectable({ providedIn: 'root' })
export class ColorScheme {
  private readonly document = inject(DOCUMENT);
  private readonly systemDark = this.document.defaultView?.matchMedia('(prefers-color-scheme: dark)') ?? null;
  private readonly system = signal<'light' | 'dark'>(this.systemDark?.matches ? 'dark' : 'light');
  private readonly choice = signal<ColorSchemeChoice>(readChoice(this.document));

  /** Whether the page is dark now (chosen, or the system's setting). */
  readonly dark = computed(() => (this.choice() === 'system' ? this.system() : this.choice()) === 'dark');

  constructor() {
    this.systemDark?.addEventListener('change', (e) => this.system.set(e.matches ? 'dark' : 'light'));
    this.apply(this.choice());
  }

  /** Switches between light and dark, and remembers the choice in this browser. */
  toggle(): void {
    const next = this.dark() ? 'light' : 'dark';
    this.choice.set(next);
    this.document.defaultView?.localStorage.setItem(COLOR_SCHEME_KEY, next);
    this.apply(next);
  }

  private apply(choice: ColorSchemeChoice): void {
    this.document.documentElement.style.colorScheme = choice === 'system' ? '' : choice;
  }
}

function readChoice(document: Document): ColorSchemeChoice {
  const stored = document.defaultView?.localStorage.getItem(COLOR_SCHEME_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}
