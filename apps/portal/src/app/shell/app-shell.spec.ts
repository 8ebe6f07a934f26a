import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatToolbarHarness } from '@angular/material/toolbar/testing';
import { provideRouter, Router } from '@angular/router';
import { Session } from '../auth/session';
import { storeFakeSession } from '../auth/testing/session-fakes';
import { AppShell } from './app-shell';
import { COLOR_SCHEME_KEY } from './color-scheme';

describe('AppShell', () => {
  beforeEach(() => {
    localStorage.clear();
    storeFakeSession('agent');
    TestBed.configureTestingModule({
      imports: [AppShell],
      providers: [provideRouter([{ path: '**', children: [] }]), provideHttpClient(), provideHttpClientTesting()],
    });
  });
  afterEach(() => {
    localStorage.clear();
    document.documentElement.style.colorScheme = '';
  });

  async function render() {
    const fixture = TestBed.createComponent(AppShell);
    await fixture.whenStable();
    return { fixture, loader: TestbedHarnessEnvironment.loader(fixture) };
  }

  it('shows the product and who is signed in in a toolbar inside the header, and the page in main', async () => {
    const { fixture, loader } = await render();
    const toolbar = await loader.getHarness(MatToolbarHarness.with({ ancestor: 'header' }));
    const text = (await toolbar.getRowsAsText()).join(' ');
    expect(text).toContain('Switchboard');
    expect(text).toContain('Ada Agent');
    expect((fixture.nativeElement as HTMLElement).querySelector('main router-outlet')).not.toBeNull();
  });

  it('signs out with the Sign out button and shows the sign-in page', async () => {
    const { loader } = await render();
    const navigate = spyOn(TestBed.inject(Router), 'navigateByUrl').and.resolveTo(true);
    await (await loader.getHarness(MatButtonHarness.with({ text: /Sign out/ }))).click();
    expect(TestBed.inject(Session).user()).toBeNull();
    expect(localStorage.length).toBe(0);
    expect(navigate).toHaveBeenCalledWith('/login');
  });

  it('starts with a skip link that moves the focus to the page', async () => {
    const { fixture } = await render();
    const host = fixture.nativeElement as HTMLElement;
    const first = host.querySelector('a, button') as HTMLAnchorElement;
    expect(first.textContent?.trim()).toBe('Skip to main content');
    first.click();
    expect(document.activeElement).toBe(host.querySelector('main'));
  });

  it('switches between light and dark with a toggle button, and remembers the choice', async () => {
    const { loader } = await render();
    const toggle = await loader.getHarness(MatButtonHarness.with({ selector: '[aria-label="Dark theme"]' }));
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    expect(await (await toggle.host()).getAttribute('aria-pressed')).toBe(String(dark));
    const background = getComputedStyle(document.body).backgroundColor;
    await toggle.click();
    expect(document.documentElement.style.colorScheme).toBe(dark ? 'light' : 'dark');
    expect(localStorage.getItem(COLOR_SCHEME_KEY)).toBe(dark ? 'light' : 'dark');
    expect(await (await toggle.host()).getAttribute('aria-pressed')).toBe(String(!dark));
    expect(getComputedStyle(document.body).backgroundColor).withContext('the theme follows color-scheme').not.toBe(background);
  });
});
