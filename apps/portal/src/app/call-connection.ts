import type { Injector } from '@angular/core';
import { Router } from '@angular/router';
import type { SessionUser } from '@switchboard/call-domain';
import { SignalingClient } from '@switchboard/call-domain/signaling';
import { AgentDesk } from './agent/agent-desk';
import { Session } from './auth/session';

/** Clients whose refusals already lead to the sign-in page (one subscription per client). */
const watched = new WeakSet<SignalingClient>();

/**
 * Points the call socket at the current session: closes it, then opens it again for a
 * signed-in user. Loaded by `provideCallConnection()` on first sign-in only, so that the
 * signaling library and socket.io-client stay out of the initial bundle.
 */
export function followSession(injector: Injector, user: SessionUser | null): void {
  const client = injector.get(SignalingClient);
  if (!watched.has(client)) {
    watched.add(client);
    // The server closes a socket whose token expired (or refuses a bad one): the same path as
    // an expired session over HTTP — signed out, on the sign-in page with the message.
    const router = injector.get(Router);
    const session = injector.get(Session);
    client.sessionRefused$.subscribe(() => void router.navigateByUrl(session.expire()));
  }
  client.disconnect();
  if (!user) return;
  // The server sends an agent's status (and a ringing offer) once, on connection: the desk
  // must be listening before the socket opens, not only once the agent page has loaded.
  if (user.role === 'agent') injector.get(AgentDesk);
  client.connect();
}
