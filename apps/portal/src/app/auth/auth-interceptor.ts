import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { LOGIN_URL, Session } from './session';

/**
 * Adds the session's bearer token to same-origin `/api` calls. When such a call answers 401
 * (the token expired or was revoked), it ends the session and shows the sign-in page with the
 * expiry message; the sign-in call's own 401 (wrong password) is left to the login page.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  if (!request.url.startsWith('/api/') || request.url === LOGIN_URL) return next(request);
  const session = inject(Session);
  const router = inject(Router);
  const token = session.token();
  const authorized = token ? request.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : request;
  return next(authorized).pipe(
    catchError((error: unknown) => {
      // Only the token that was sent is known bad: a sign-in since then must not be undone.
      if (error instanceof HttpErrorResponse && error.status === 401 && token && session.token() === token) {
        void router.navigateByUrl(session.expire());
      }
      return throwError(() => error);
    }),
  );
};
