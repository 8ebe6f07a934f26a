import { Role, SessionUser } from '@switchboard/call-domain';
import { SESSION_STORAGE_KEY } from '../session';

/** A user of `role` for tests (`ada.student`, `ada.agent`, …). */
export function fakeUser(role: Role): SessionUser {
  return { id: `u-${role}`, username: `ada.${role}`, role, displayName: `Ada ${role[0].toUpperCase()}${role.slice(1)}` };
}

/** An unsigned JWT-shaped token for `user` that expires `expiresInSeconds` from now (negative: already expired). */
export function fakeAccessToken(user: SessionUser, expiresInSeconds = 900): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  const claims = { sub: user.id, username: user.username, role: user.role, displayName: user.displayName, exp };
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}.signature`;
}

/**
 * Puts a session for `role` in localStorage, as a sign-in before a reload would; create the
 * `Session` (or the TestBed) after calling it. Returns the user and token stored.
 */
export function storeFakeSession(role: Role, expiresInSeconds = 900): { user: SessionUser; accessToken: string } {
  const user = fakeUser(role);
  const accessToken = fakeAccessToken(user, expiresInSeconds);
  localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ accessToken, user }));
  return { user, accessToken };
}
