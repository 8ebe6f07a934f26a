import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { HarnessLoader } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatFormFieldHarness } from '@angular/material/form-field/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { provideRouter, Router } from '@angular/router';
import { Role } from '@switchboard/call-domain';
import { Session, LOGIN_URL } from '../auth/session';
import { fakeAccessToken, fakeUser } from '../auth/testing/session-fakes';
import { EXPIRED_MESSAGE, INVALID_CREDENTIALS_MESSAGE, LoginPage } from './login-page';

describe('LoginPage', () => {
  let fixture: ComponentFixture<LoginPage>;
  let loader: HarnessLoader;
  let backend: HttpTestingController;
  let navigate: jasmine.Spy;

  beforeEach(() => {
    localStorage.clear();
    TestBed.configureTestingModule({
      imports: [LoginPage],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    navigate = spyOn(TestBed.inject(Router), 'navigateByUrl').and.resolveTo(true);
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(LoginPage);
    loader = TestbedHarnessEnvironment.loader(fixture);
  });

  afterEach(() => {
    backend.verify();
    localStorage.clear();
  });

  const field = (label: string) => loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: label }));
  const signInButton = () => loader.getHarness(MatButtonHarness.with({ text: 'Sign in' }));
  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';

  async function input(label: string): Promise<MatInputHarness> {
    const control = await (await field(label)).getControl(MatInputHarness);
    if (!control) throw new Error(`No input labelled ${label}`);
    return control;
  }

  async function fillIn(username: string, password: string): Promise<void> {
    await (await input('Username')).setValue(username);
    await (await input('Password')).setValue(password);
  }

  async function settle(): Promise<void> {
    await fixture.whenStable();
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  }

  it('has labelled Username and Password fields and a Sign in button', async () => {
    expect(await (await field('Username')).getLabel()).toBe('Username');
    expect(await (await field('Password')).getLabel()).toBe('Password');
    expect(await (await input('Password')).getType()).toBe('password');
    expect(await (await signInButton()).isDisabled()).toBeFalse();
  });

  it('requires both fields and sends nothing until they are filled', async () => {
    await (await signInButton()).click();
    expect(await (await field('Username')).getTextErrors()).toEqual(['Enter your username']);
    expect(await (await field('Password')).getTextErrors()).toEqual(['Enter your password']);
    backend.expectNone(LOGIN_URL);
  });

  const homes: [Role, string][] = [['student', '/help'], ['agent', '/agent'], ['supervisor', '/supervisor']];
  for (const [role, home] of homes) {
    it(`signs a ${role} in and goes to ${home}`, async () => {
      await fillIn(`ada.${role}`, 'correct horse');
      await (await signInButton()).click();
      const request = backend.expectOne(LOGIN_URL);
      expect(request.request.body).toEqual({ username: `ada.${role}`, password: 'correct horse' });
      expect(await (await signInButton()).isDisabled()).withContext('disabled while submitting').toBeTrue();
      const user = fakeUser(role);
      request.flush({ accessToken: fakeAccessToken(user), user });
      await settle();
      expect(navigate).toHaveBeenCalledWith(home);
      expect(TestBed.inject(Session).user()).toEqual(user);
    });
  }

  it('submits with Enter: Sign in is the submit button of the form, and submitting it signs in', async () => {
    await fillIn('ada.agent', 'pw');
    const button = await (await signInButton()).host();
    expect(await button.getProperty<string>('type')).toBe('submit');
    const form = (fixture.nativeElement as HTMLElement).querySelector('form') as HTMLFormElement;
    expect(form.contains(fixture.nativeElement.querySelector('button[type=submit]'))).toBeTrue();
    // Synthetic key events do not trigger implicit submission; requestSubmit() is what Enter does.
    form.requestSubmit();
    backend.expectOne(LOGIN_URL).flush(null, { status: 401, statusText: 'Unauthorized' });
    await settle();
  });

  it('shows "Invalid username or password" on a 401, without saying which, and lets the user retry', async () => {
    await fillIn('ada.agent', 'wrong');
    await (await signInButton()).click();
    backend
      .expectOne(LOGIN_URL)
      .flush({ status: 401, code: 'unauthorized', title: 'Unauthorized', detail: 'Bad password' }, { status: 401, statusText: 'Unauthorized' });
    await settle();
    expect(text()).toContain(INVALID_CREDENTIALS_MESSAGE);
    expect(text()).not.toContain('Bad password');
    expect(await (await signInButton()).isDisabled()).toBeFalse();
    expect(navigate).not.toHaveBeenCalled();
    expect(TestBed.inject(Session).user()).toBeNull();
  });

  it('says when the server cannot be reached', async () => {
    await fillIn('ada.agent', 'pw');
    await (await signInButton()).click();
    backend.expectOne(LOGIN_URL).error(new ProgressEvent('error'), { status: 0, statusText: '' });
    await settle();
    expect(text()).toContain('Cannot reach Switchboard. Check your connection and try again.');
  });

  it('says when the server fails', async () => {
    await fillIn('ada.agent', 'pw');
    await (await signInButton()).click();
    backend.expectOne(LOGIN_URL).flush(null, { status: 500, statusText: 'Internal Server Error' });
    await settle();
    expect(text()).toContain('Switchboard could not sign you in right now');
  });

  it('shows the expiry message when sent here with ?expired=1', async () => {
    fixture.componentRef.setInput('expired', '1');
    await settle();
    expect(text()).toContain(EXPIRED_MESSAGE);
  });

  it('shows no expiry message otherwise', async () => {
    await settle();
    expect(text()).not.toContain(EXPIRED_MESSAGE);
  });
});
