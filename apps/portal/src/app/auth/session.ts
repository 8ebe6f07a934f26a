import { HttpClient, HttpHeaders } from '@angular/common/http';
import { computed, inject, Injectable, InjectionToken, signal } from '@angular/core';
import { Router, UrlTree } from '@angular/router';
import { HOME_BY_ROLE, LoginRequest, LoginResponse, ROLES, SessionUser } from '@switchboard/call-domain';
import { firstValueFrom } from 'rxjs';

/** The API call that signs in; the interceptor leaves its 401 (wrong password) to the page. */
export const LOGIN_URL = '/api/auth/login';

/** The API call that ends the session on the server (its token is refused from then on, on every node). */
export const LOGOUT_URL = '/api/auth/logout';

/** Where an expired or rejected session sends the user: the sign-in page with the message. */
export const EXPIRED_URL = '/login?expired=1';

/** The localStorage key that keeps the session across reloads. */
export const SESSION_STORAGE_KEY = 'switchboard.session';

/** Where the session is persisted; `localStorage` unless a test provides another `Storage`. */
export const SESSION_STORAGE = new InjectionToken<Storage>('SESSION_STORAGE', {
  providedIn: 'root',
  factory: () => localStorage,
});

interface StoredSession {
  accessToken: string;
  user: SessionUser;
  /** When the token stops being valid, in ms since the epoch (the JWT's `exp`). */
  expiresAt: number;
}

/**
 * The signed-in user and their access token, as signals, persisted in localStorage so a reload
 * keeps the session. Expiry is read from the JWT's `exp` claim and checked on demand (guards,
 * the interceptor's 401), never with a timer.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly storage = inject(SESSION_STORAGE);
  private readonly state = signal<StoredSession | null>(this.restore());

  /** The signed-in user, or null when signed out. */
  readonly user = computed(() => this.state()?.user ?? null);

  /** The access token to send as `Authorization: Bearer …` (and as Socket.IO `auth.token`), or null. */
  readonly token = computed(() => this.state()?.accessToken ?? null);

  /** When the token expires, in ms since the epoch, or null when signed out. */
  readonly expiresAt = computed(() => this.state()?.expiresAt ?? null);

  /** The page the signed-in user belongs on (`HOME_BY_ROLE`), or `/login` when signed out. */
  readonly home = computed(() => {
    const user = this.user();
    return user ? HOME_BY_ROLE[user.role] : '/login';
  });

  /** Whether a session is held whose token has passed its `exp` (checked against `now`). */
  isExpired(now = Date.now()): boolean {
    const expiresAt = this.expiresAt();
    return expiresAt !== null && expiresAt <= now;
  }

  /** Whether a user is signed in with a token that has not expired. */
  isActive(now = Date.now()): boolean {
    return this.state() !== null && !this.isExpired(now);
  }

  /**
   * Signs in with `POST /api/auth/login` and keeps the session.
   * Resolves with the user; rejects with the `HttpErrorResponse` (401 for wrong credentials).
   */
  async signIn(credentials: LoginRequest): Promise<SessionUser> {
    const response = await firstValueFrom(this.http.post<LoginResponse>(LOGIN_URL, credentials));
    const expiresAt = readExpiry(response.accessToken);
    if (expiresAt === null) throw new Error('The server sent an access token without a readable expiry.');
    this.save({ accessToken: response.accessToken, user: response.user, expiresAt });
    return response.user;
  }

  /**
   * Ends the session on the server (`POST /api/auth/logout`, which also closes its sockets on
   * every node), forgets it here and shows the sign-in page. The page does not wait for the
   * server: the token is forgotten at once, and a failed call (offline, already expired)
   * changes nothing for the user.
   */
  signOut(): Promise<boolean> {
    const token = this.token();
    this.save(null);
    if (token) {
      // The header is set here because the session (which the interceptor reads) is already gone.
      const headers = new HttpHeaders({ Authorization: `Bearer ${token}` });
      this.http.post(LOGOUT_URL, null, { headers }).subscribe({ error: () => undefined });
    }
    return this.router.navigateByUrl('/login');
  }

  /**
   * Forgets an expired or server-rejected session and returns the sign-in page with the expiry
   * message, for a guard to return or a caller to `router.navigateByUrl()`.
   */
  expire(): UrlTree {
    this.save(null);
    return this.router.parseUrl(EXPIRED_URL);
  }

  private save(session: StoredSession | null): void {
    this.state.set(session);
    try {
      if (session) this.storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(session));
      else this.storage.removeItem(SESSION_STORAGE_KEY);
    } catch {
      // Storage can be full or blocked (private mode): the session still lasts for this tab.
    }
  }

  private restore(): StoredSession | null {
    try {
      const raw = this.storage.getItem(SESSION_STORAGE_KEY);
      if (!raw) return null;
      const stored = JSON.parse(raw) as Partial<StoredSession>;
      const user = stored.user;
      if (typeof stored.accessToken !== 'string' || !user || !ROLES.includes(user.role)) return null;
      // The expiry is re-read from the token rather than trusted from storage.
      const expiresAt = readExpiry(stored.accessToken);
      return expiresAt === null ? null : { accessToken: stored.accessToken, user, expiresAt };
    } catch {
      return null;
    }
  }
}

/** Reads a JWT's `exp` claim (seconds) as ms since the epoch; null if the token is not a readable JWT. */
export function readExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}
