import { DOCUMENT, Injectable, inject } from '@angular/core';
import type { CallOffer } from '@switchboard/call-domain';

/** The favicon while a call rings in a hidden tab: the product's mark with a red badge. */
export const RINGING_FAVICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#3f51b5"/>' +
      '<path d="M10 9c2 0 3 3 3 4s-2 1-2 2 3 5 5 5c1 0 1-2 2-2s4 1 4 3-2 3-4 3C12 24 8 16 8 12c0-2 1-3 2-3z" fill="#fff"/>' +
      '<circle cx="25" cy="7" r="7" fill="#d32f2f"/></svg>',
  );

/** How often the title alternates while a call rings in a hidden tab. */
const FLASH_MS = 1_000;

/**
 * Alerts an agent whose desk is in a hidden tab that a call is ringing: a desktop notification
 * ("Incoming call", the caller's name; clicking it brings the tab forward), a title that
 * alternates with "Incoming call — <caller>", and a badge on the favicon. All of it stops when
 * the tab is shown or the offer ends. The browser's permission for notifications is asked on
 * the agent's own click (Available), never on page load.
 */
@Injectable({ providedIn: 'root' })
export class IncomingCallAlert {
  private readonly document = inject(DOCUMENT);

  /** Asks for permission to show notifications, once, if the browser has not been told yet. */
  askPermission(): void {
    const notifications = this.document.defaultView?.Notification;
    if (notifications?.permission === 'default') void notifications.requestPermission().catch(() => undefined);
  }

  /** Alerts for `offer` whenever the tab is hidden while it rings; returns the function that stops it. */
  start(offer: CallOffer): () => void {
    const alertTitle = `Incoming call — ${offer.caller.displayName}`;
    let shown: { stop(): void } | null = null;
    const update = () => {
      if (this.document.hidden && !shown) shown = this.show(offer, alertTitle);
      else if (!this.document.hidden && shown) {
        shown.stop();
        shown = null;
      }
    };
    this.document.addEventListener('visibilitychange', update);
    update();
    return () => {
      this.document.removeEventListener('visibilitychange', update);
      shown?.stop();
      shown = null;
    };
  }

  private show(offer: CallOffer, alertTitle: string): { stop(): void } {
    const window = this.document.defaultView;
    const notification = this.notify(offer);
    const title = this.document.title;
    const icon = this.document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    const iconHref = icon?.getAttribute('href') ?? null;
    icon?.setAttribute('href', RINGING_FAVICON);
    this.document.title = alertTitle;
    let flashed = true;
    const flashing = window?.setInterval(() => {
      flashed = !flashed;
      this.document.title = flashed ? alertTitle : title;
    }, FLASH_MS);
    return {
      stop: () => {
        window?.clearInterval(flashing);
        this.document.title = title;
        if (icon && iconHref !== null) icon.setAttribute('href', iconHref);
        notification?.close();
      },
    };
  }

  private notify(offer: CallOffer): Notification | null {
    const window = this.document.defaultView;
    if (window?.Notification?.permission !== 'granted') return null;
    try {
      const notification = new window.Notification('Incoming call', {
        body: `${offer.caller.displayName} is calling the help desk.`,
        tag: `switchboard-call-${offer.callId}`,
        requireInteraction: true,
      });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
      return notification;
    } catch {
      // Some browsers allow notifications only from a service worker: the title and badge remain.
      return null;
    }
  }
}
