import { InjectionToken } from '@angular/core';

// Its own entry point (`@switchboard/call-domain/signaling/auth`), without socket.io-client:
// the portal provides this token at start-up and loads the rest only after sign-in.

/**
 * Returns the signed-in user's current access token (null when signed out). The portal
 * provides it from its session; it is read on every (re)connection attempt.
 */
export const SIGNALING_AUTH = new InjectionToken<() => string | null>('SIGNALING_AUTH');
