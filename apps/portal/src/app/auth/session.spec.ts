import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { LOGIN_URL, LOGOUT_URL, readExpiry, Session, SESSION_STORAGE_KEY } from './session';
import { fakeAccessToken, fakeUser, storeFakeSession } from './testing/session-fakes';

describe('Session', () => {
  function setup(): { session: Session; http: HttpTestingController } {
    TestBed.configureTestingModule({ providers: [provideRouter([{ path: '**', children: [] }]), provideHttpClient(), provideHttpClientTesting()] });
    return { session: TestBed.inject(Session), http: TestBed.inject(HttpTestingController) };
  }

  beforeEach(() => localStorage.clear());
  afterEach(() => localStorage.clear());

  it('starts signed out when nothing is stored', () => {
    const { session } = setup();
    expect(session.user()).toBeNull();
    expect(session.token()).toBeNull();
    expect(session.isActive()).toBeFalse();
    expect(session.home()).toBe('/login');
  });

  it('signs in with POST /api/auth/login and keeps the user, the token and its expiry', async () => {
    const { session, http } = setup();
    const user = fakeUser('agent');
    const accessToken = fakeAccessToken(user, 600);
    const signedIn = session.signIn({ username: 'ada.agent', password: 'secret' });
    const request = http.expectOne(LOGIN_URL);
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ username: 'ada.agent', password: 'secret' });
    request.flush({ accessToken, user });

    expect(await signedIn).toEqual(user);
    expect(session.user()).toEqual(user);
    expect(session.token()).toBe(accessToken);
    expect(session.home()).toBe('/agent');
    expect(session.expiresAt()).toBe(readExpiry(accessToken));
    expect(session.isActive()).toBeTrue();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toContain(accessToken);
  });

  it('keeps the session across a reload: a fresh Session reads it from storage', () => {
    const { user, accessToken } = storeFakeSession('supervisor');
    const { session } = setup();
    expect(session.user()).toEqual(user);
    expect(session.token()).toBe(accessToken);
    expect(session.isActive()).toBeTrue();
  });

  it('knows a stored token is expired from its exp claim, without a timer', () => {
    storeFakeSession('student', -5);
    const { session } = setup();
    expect(session.user()).not.toBeNull();
    expect(session.isExpired()).toBeTrue();
    expect(session.isActive()).toBeFalse();
  });

  it('ignores stored data that is not a session', () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '{"accessToken":"not-a-jwt","user":{"role":"agent"}}');
    expect(setup().session.user()).toBeNull();
    TestBed.resetTestingModule();
    localStorage.setItem(SESSION_STORAGE_KEY, 'not json');
    expect(setup().session.user()).toBeNull();
  });

  it('signs out: ends the session on the server, forgets it, clears storage and shows the sign-in page', async () => {
    const { accessToken } = storeFakeSession('agent');
    const { session, http } = setup();
    await session.signOut();
    expect(session.user()).toBeNull();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/login');
    const logout = http.expectOne(LOGOUT_URL);
    expect(logout.request.method).toBe('POST');
    expect(logout.request.headers.get('Authorization')).toBe(`Bearer ${accessToken}`);
    logout.flush(null, { status: 204, statusText: 'No Content' });
    http.verify();
  });

  it('signs out here even when the server cannot be told', async () => {
    storeFakeSession('agent');
    const { session, http } = setup();
    await session.signOut();
    http.expectOne(LOGOUT_URL).error(new ProgressEvent('error'));
    expect(session.user()).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/login');
  });

  it('expires: forgets the session and points at the sign-in page with the message', () => {
    storeFakeSession('agent');
    const { session } = setup();
    expect(TestBed.inject(Router).serializeUrl(session.expire())).toBe('/login?expired=1');
    expect(session.token()).toBeNull();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });
});

describe('readExpiry', () => {
  it('reads exp (seconds) as ms, and null for anything that is not a JWT with exp', () => {
    const token = fakeAccessToken(fakeUser('agent'), 60);
    expect(readExpiry(token)).toBeCloseTo(Date.now() + 60_000, -4);
    expect(readExpiry('abc')).toBeNull();
    expect(readExpiry('a.!!!.c')).toBeNull();
    expect(readExpiry(`a.${btoa('{"sub":"x"}')}.c`)).toBeNull();
  });
});
