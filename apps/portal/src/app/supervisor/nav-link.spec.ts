import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { NavLink, PAGE_LOAD } from './nav-link';

@Component({ selector: 'sb-page', template: '' })
class Page {}

@Component({ imports: [NavLink], template: `<a [sbNavLink]="url">Go</a>` })
class Host {
  url = '/ok?x=1';
}

describe('NavLink', () => {
  let pageLoad: jasmine.Spy<(url: string) => void>;

  beforeEach(() => {
    pageLoad = jasmine.createSpy('pageLoad');
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'ok', component: Page },
          { path: 'broken', loadComponent: () => Promise.reject(new Error('Failed to fetch dynamically imported module')) },
        ]),
        { provide: PAGE_LOAD, useValue: pageLoad },
      ],
    });
  });

  async function click(url: string, init: MouseEventInit = {}) {
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.url = url;
    fixture.detectChanges();
    const link = (fixture.nativeElement as HTMLElement).querySelector('a') as HTMLAnchorElement;
    const event = new MouseEvent('click', { bubbles: true, cancelable: true, button: 0, ...init });
    link.dispatchEvent(event);
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    return { link, event };
  }

  it('has the real href and navigates in the app on a plain click', async () => {
    const { link, event } = await click('/ok?x=1');
    expect(link.getAttribute('href')).toBe('/ok?x=1');
    expect(event.defaultPrevented).toBeTrue();
    expect(TestBed.inject(Router).url).toBe('/ok?x=1');
    expect(pageLoad).not.toHaveBeenCalled();
  });

  it("loads the URL as a page when the router cannot show it (a lazy page's code failed to load): a click always goes somewhere", async () => {
    const { event } = await click('/broken');
    expect(event.defaultPrevented).toBeTrue();
    expect(pageLoad).toHaveBeenCalledOnceWith('/broken');
  });
});
