import { inject, Injector } from '@angular/core';
import { CanMatchFn, RedirectFunction, Router } from '@angular/router';
import { Role } from '@switchboard/call-domain';
import { Session } from './session';

/**
 * Lets only a signed-in `role` reach a route. Signed out → `/login`; an expired token →
 * `/login?expired=1` (the check runs on every navigation, no timer); another role → refused
 * with a snackbar ("That page is for agents") and sent to their own home.
 */
export function roleGuard(role: Role): CanMatchFn {
  return () => {
    const session = inject(Session);
    const router = inject(Router);
    const user = session.user();
    if (!user) return router.parseUrl('/login');
    if (session.isExpired()) return session.expire();
    if (user.role === role) return true;
    void showRefusal(inject(Injector), `That page is for ${role}s`);
    return router.parseUrl(session.home());
  };
}

// The snackbar (and the overlay under it) is loaded only when needed: it would otherwise put
// the initial bundle over its budget for a message most sessions never see.
async function showRefusal(injector: Injector, message: string): Promise<void> {
  const { MatSnackBar } = await import('@angular/material/snack-bar');
  injector.get(MatSnackBar).open(message, 'Dismiss', { duration: 5000 });
}

/** Keeps a signed-in user off the sign-in page: they go to their home instead. */
export const signedOutGuard: CanMatchFn = () => {
  const session = inject(Session);
  return session.isActive() ? inject(Router).parseUrl(session.home()) : true;
};

/** For `redirectTo`: the user's home when signed in, the sign-in page (with the message if expired) otherwise. */
export const redirectHome: RedirectFunction = () => {
  const session = inject(Session);
  if (session.isExpired()) return session.expire();
  return session.home();
};
