import type { Injector } from '@angular/core';
import { SignalingClient } from '@switchboard/call-domain/signaling';

/**
 * Points the call socket at the current session: closes it, then opens it again when a
 * user is signed in. Loaded by `provideCallConnection()` on first sign-in only, so that the
 * signaling library and socket.io-client stay out of the initial bundle.
 */
export function followSession(injector: Injector, signedIn: boolean): void {
  const client = injector.get(SignalingClient);
  client.disconnect();
  if (signedIn) client.connect();
}
