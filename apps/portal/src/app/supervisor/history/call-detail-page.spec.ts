import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import { provideRouter, Router, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { answer, to } from '../testing/http-answers';
import { fakeCallDetail } from '../testing/supervisor-fakes';
import { CallDetailPage } from './call-detail-page';
import { CallHistoryMemory } from './call-history-memory';

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

  it('shows the call quality summary in words: MOS min and average, worst loss, warnings', async () => {
    const fixture = TestBed.createComponent(CallDetailPage);
    fixture.componentRef.setInput('id', 'call-1');
    const latest = { rttMs: 40, jitterMs: 6, lossPercent: 20, mos: 2.25, level: 'poor' as const, warnings: ['high-packet-loss' as const, 'low-mos' as const], at: '2026-11-02T09:03:00.000Z' };
    const quality = { samples: 12, minMos: 2.25, avgMos: 3.84, maxLossPercent: 20, maxRttMs: 42.4, maxJitterMs: 6, warningSamples: 3, warnings: { 'high-packet-loss': 3, 'low-mos': 2 }, poor: true, latest };
    await answer(backend, to('/api/calls/call-1'), fakeCallDetail({ quality }));
    await fixture.whenStable();
    const text = (fixture.nativeElement as HTMLElement).querySelector('.quality')?.textContent?.trim();
    expect(text).toBe('Poor — MOS min 2.3, average 3.8; worst packet loss 20 %, max RTT 42 ms, max jitter 6 ms; warnings: packet loss ×3, low MOS ×2 (12 samples)');
  });

  it('lists quality warnings in the timeline: which threshold, who measured it', async () => {
    const fixture = TestBed.createComponent(CallDetailPage);
    fixture.componentRef.setInput('id', 'call-1');
    const call = fakeCallDetail();
    const warning = { at: '2026-11-02T09:02:30.000Z', type: 'quality_warning' as const, actorId: 'student-1', actorName: 'Sam Student', detail: 'packet loss' };
    await answer(backend, to('/api/calls/call-1'), { ...call, timeline: [...call.timeline, warning] });
    await fixture.whenStable();
    const rows = await (await TestbedHarnessEnvironment.loader(fixture).getHarness(MatTableHarness)).getCellTextByColumnName();
    expect(rows['what'].text.at(-1)).toBe('Quality warning: packet loss');
    expect(rows['actor'].text.at(-1)).toBe('Sam Student');
  });

  it('says the quality was not measured for a call without samples', async () => {
    const fixture = TestBed.createComponent(CallDetailPage);
    fixture.componentRef.setInput('id', 'call-1');
    await answer(backend, to('/api/calls/call-1'), fakeCallDetail());
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('.quality')?.textContent?.trim()).toBe('Not measured');
  });

  it('leads Back to the plain history when no history view was seen (a detail page opened on its own)', async () => {
    const fixture = TestBed.createComponent(CallDetailPage);
    fixture.componentRef.setInput('id', 'call-1');
    await answer(backend, to('/api/calls/call-1'), fakeCallDetail());
    await fixture.whenStable();
    const back = (fixture.nativeElement as HTMLElement).querySelector('a');
    expect(back?.textContent).toContain('Back to call history');
    expect(back?.getAttribute('href')).toBe('/supervisor/calls');
  });

  it('leads Back to the history view it was opened from, filters, sort and page kept', async () => {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [
        provideRouter(
          [
          { path: 'supervisor/calls', children: [] },
          { path: 'supervisor/calls/:id', component: CallDetailPage },
          ],
          withComponentInputBinding(),
        ),
        provideHttpClient(),
        provideHttpClientTesting(),
      ],
    });
    backend = TestBed.inject(HttpTestingController);
    const view = '/supervisor/calls?from=2026-11-02&agentId=u-agent&outcome=answered,failed&sort=talkSeconds&dir=asc&page=3';
    TestBed.inject(CallHistoryMemory).remember(view);
    const harness = await RouterTestingHarness.create();
    const navigated = harness.navigateByUrl('/supervisor/calls/call-1');
    await answer(backend, to('/api/calls/call-1'), fakeCallDetail());
    await navigated;
    await harness.fixture.whenStable();

    const back = (harness.fixture.nativeElement as HTMLElement).querySelector<HTMLAnchorElement>('a');
    expect(back?.getAttribute('href')).toBe(view);
    back?.click();
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe(view);
  });
});
