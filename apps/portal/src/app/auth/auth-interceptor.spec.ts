import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router, UrlTree } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { authInterceptor } from './auth-interceptor';
import { LOGIN_URL, Session } from './session';
import { fakeAccessToken, fakeUser, storeFakeSession } from './testing/session-fakes';

describe('authInterceptor', () => {
  let http: HttpClient;
  let backend: HttpTestingController;

  function setup(): void {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    http = TestBed.inject(HttpClient);
    backend = TestBed.inject(HttpTestingController);
  }

  beforeEach(() => localStorage.clear());
  afterEach(() => {
    backend.verify();
    localStorage.clear();
  });

  it('adds the bearer token to /api calls', () => {
    const { accessToken } = storeFakeSession('agent');
    setup();
    void firstValueFrom(http.get('/api/auth/me'));
    expect(backend.expectOne('/api/auth/me').request.headers.get('Authorization')).toBe(`Bearer ${accessToken}`);
  });

  it('sends nothing extra to other URLs or when signed out', () => {
    storeFakeSession('agent');
    setup();
    void firstValueFrom(http.get('https://example.org/api/x'));
    expect(backend.expectOne('https://example.org/api/x').request.headers.has('Authorization')).toBeFalse();
    TestBed.inject(Session).expire();
    void firstValueFrom(http.get('/api/queue'));
    expect(backend.expectOne('/api/queue').request.headers.has('Authorization')).toBeFalse();
  });

  it('on a 401 from an API call, signs out and shows the sign-in page with the expiry message', async () => {
    storeFakeSession('agent');
    setup();
    const router = TestBed.inject(Router);
    const navigate = spyOn(router, 'navigateByUrl').and.resolveTo(true);
    const failed = firstValueFrom(http.get('/api/calls'));
    backend.expectOne('/api/calls').flush(null, { status: 401, statusText: 'Unauthorized' });
    await expectAsync(failed).toBeRejectedWith(jasmine.any(HttpErrorResponse));
    expect(TestBed.inject(Session).user()).toBeNull();
    expect(localStorage.length).toBe(0);
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(router.serializeUrl(navigate.calls.mostRecent().args[0] as UrlTree)).toBe('/login?expired=1');
  });

  it('leaves the sign-in call alone: its 401 means wrong credentials, not expiry', async () => {
    storeFakeSession('agent');
    setup();
    const failed = firstValueFrom(http.post(LOGIN_URL, { username: 'a', password: 'b' }));
    const request = backend.expectOne(LOGIN_URL);
    expect(request.request.headers.has('Authorization')).toBeFalse();
    request.flush(null, { status: 401, statusText: 'Unauthorized' });
    await expectAsync(failed).toBeRejected();
    expect(TestBed.inject(Session).user()).not.toBeNull();
  });

  it('does not undo a newer sign-in when an older token is refused', async () => {
    storeFakeSession('agent');
    setup();
    const session = TestBed.inject(Session);
    const failed = firstValueFrom(http.get('/api/calls'));
    const stale = backend.expectOne('/api/calls');
    const signedIn = session.signIn({ username: 'ada.supervisor', password: 'secret' });
    const user = fakeUser('supervisor');
    backend.expectOne(LOGIN_URL).flush({ accessToken: fakeAccessToken(user), user });
    await signedIn;
    stale.flush(null, { status: 401, statusText: 'Unauthorized' });
    await expectAsync(failed).toBeRejected();
    expect(session.user()).toEqual(user);
  });
});
