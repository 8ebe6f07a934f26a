import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import { provideRouter } from '@angular/router';
import { answer, to } from '../testing/http-answers';
import { fakeCallDetail } from '../testing/supervisor-fakes';
import { CallDetailPage } from './call-detail-page';

describe('CallDetailPage', () => {
  let backend: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()] });
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  it('reads GET /api/calls/:id and shows the whole timeline oldest first, with disposition and notes', async () => {
    const fixture = TestBed.createComponent(CallDetailPage);
    fixture.componentRef.setInput('id', 'call-1');
    const call = fakeCallDetail();
    // Sent out of order: the page still lists oldest first.
    const timeline = [call.timeline[2], call.timeline[0], call.timeline[1]];
    await answer(backend, to('/api/calls/call-1'), { ...call, timeline });
    await fixture.whenStable();

    const table = await TestbedHarnessEnvironment.loader(fixture).getHarness(MatTableHarness);
    const rows = await table.getCellTextByColumnName();
    expect(rows['actor'].text).toEqual(['Sam Student', 'Ada Agent', 'Ada Agent']);
    expect(rows['what'].text).toEqual(['Entered the queue', 'Offered to agent', 'Accepted']);
    expect(rows['at'].text.length).toBe(3);
    const page = (fixture.nativeElement as HTMLElement).textContent ?? '';
    expect(page).toContain('Resolved');
    expect(page).toContain('Reset the password.');
  });
});
