import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatSnackBar } from '@angular/material/snack-bar';
import { provideRouter, Router, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { Role } from '@switchboard/call-domain';
import { SIGNALING_SOCKET_FACTORY } from '@switchboard/call-domain/signaling';
import { SIGNALING_AUTH } from '@switchboard/call-domain/signaling/auth';
import { FakeRelay } from '@switchboard/call-domain/signaling/testing';
import { routes } from './app.routes';
import { Session } from './auth/session';
import { storeFakeSession } from './auth/testing/session-fakes';

/** The routes with their guards, as the app has them: who may open which page, and where others go. */
describe('routes and role guards', () => {
  let router: Router;

  async function open(url: string): Promise<RouterTestingHarness> {
    router = TestBed.inject(Router);
    const harness = await RouterTestingHarness.create(url);
    await harness.fixture.whenStable();
    return harness;
  }

  function heading(harness: RouterTestingHarness): string | undefined {
    return (harness.fixture.nativeElement as HTMLElement).querySelector('h1')?.textContent?.trim();
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideRouter(routes, withComponentInputBinding()),
        provideHttpClient(),
        provideHttpClientTesting(),
        // Pages that use the call socket get one that goes nowhere.
        { provide: SIGNALING_AUTH, useValue: () => null },
        { provide: SIGNALING_SOCKET_FACTORY, useValue: new FakeRelay().createSocket },
      ],
    });
  });
  afterEach(() => localStorage.clear());

  for (const url of ['/help', '/agent', '/supervisor', '/']) {
    it(`sends a signed-out visitor of ${url} to /login`, async () => {
      const harness = await open(url);
      expect(router.url).toBe('/login');
      expect(heading(harness)).toBe('Switchboard');
    });
  }

  const pages: [Role, string, string][] = [
    ['student', '/help', 'Help desk'],
    ['agent', '/agent', 'Agent desk'],
    ['supervisor', '/supervisor', 'Supervisor'],
  ];
  for (const [role, url, title] of pages) {
    it(`lets a ${role} open ${url}, inside the shell`, async () => {
      storeFakeSession(role);
      const harness = await open(url);
      expect(router.url).toBe(url);
      expect(heading(harness)).toBe(title);
      const page = harness.fixture.nativeElement as HTMLElement;
      expect(page.querySelector('header mat-toolbar')?.textContent).toContain('Switchboard');
      expect(page.querySelector('main h1')).not.toBeNull();
    });

    it(`sends a signed-in ${role} from / and from /login to ${url}`, async () => {
      storeFakeSession(role);
      await open('/');
      expect(router.url).toBe(url);
      await router.navigateByUrl('/login');
      expect(router.url).toBe(url);
    });
  }

  it('refuses another role: back to their own home, with a snackbar saying whose page it was', async () => {
    storeFakeSession('student');
    const opened = spyOn(TestBed.inject(MatSnackBar), 'open').and.callThrough();
    const harness = await open('/agent');
    expect(router.url).toBe('/help');
    expect(heading(harness)).toBe('Help desk');
    await until(() => opened.calls.count() > 0);
    expect(opened).toHaveBeenCalledWith('That page is for agents', 'Dismiss', jasmine.anything());
  });

  it('refuses a student on /supervisor and an agent on /help', async () => {
    storeFakeSession('agent');
    const opened = spyOn(TestBed.inject(MatSnackBar), 'open');
    await open('/help');
    expect(router.url).toBe('/agent');
    await until(() => opened.calls.count() > 0);
    expect(opened.calls.mostRecent().args[0]).toBe('That page is for students');
  });

  it('redirects unknown pages to the home of the signed-in user', async () => {
    storeFakeSession('supervisor');
    await open('/no/such/page');
    expect(router.url).toBe('/supervisor');
  });

  it('sends an expired token at a guard to /login with the expiry message, and forgets it', async () => {
    storeFakeSession('agent', -1);
    const harness = await open('/agent');
    expect(router.url).toBe('/login?expired=1');
    expect(harness.fixture.nativeElement.textContent).toContain('Your session has expired. Please sign in again.');
    expect(TestBed.inject(Session).user()).toBeNull();
    expect(localStorage.length).toBe(0);
  });

  it('checks expiry on each navigation, not only the first', async () => {
    storeFakeSession('agent', 3600);
    await open('/agent');
    expect(router.url).toBe('/agent');
    const anHourLater = Date.now() + 3_601_000;
    spyOn(Date, 'now').and.returnValue(anHourLater);
    await router.navigateByUrl('/help');
    expect(router.url).toBe('/login?expired=1');
  });
});
