import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import { answer, to } from '../testing/http-answers';
import { fakeCallback, fakePage } from '../testing/supervisor-fakes';
import { CallbacksPage } from './callbacks-page';

describe('CallbacksPage', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  it('lists open requests (student, note, time) and marks one done', async () => {
    const fixture = TestBed.createComponent(CallbacksPage);
    const [first] = await answer(backend, to('/api/callbacks'), fakePage([fakeCallback()]));
    expect(first.request.params.get('status')).toBe('open');
    await fixture.whenStable();
    const loader = TestbedHarnessEnvironment.loader(fixture);
    const table = await loader.getHarness(MatTableHarness);
    const [row] = await table.getCellTextByIndex();
    expect(row.slice(1, 3)).toEqual(['Sam Student', 'Please call 555-0100 after 3 pm.']);

    const marked = (await loader.getHarness(MatButtonHarness.with({ text: 'Mark done' }))).click();
    const [post] = await answer(backend, to('/api/callbacks/cb-1/done', 'POST'), fakeCallback({ doneAt: '2026-11-02T10:00:00.000Z', doneByName: 'Ada Supervisor' }));
    await answer(backend, to('/api/callbacks'), fakePage([]));
    await marked;
    expect(post.request.method).toBe('POST');
    expect(await table.getRows()).toEqual([]);
    expect((fixture.nativeElement as HTMLElement).textContent).toContain('No callback requests.');
  });
});
