import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, type TestRequest, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { AgentFigures, CallRecord, Page } from '@switchboard/call-domain';
import { fakeCall, fakePage } from '../supervisor/testing/supervisor-fakes';
import { MY_CALLS_URL, MY_FIGURES_URL, MyCalls } from './my-calls';
import { MyCallsHarness } from './testing/my-calls-harness';

@Component({
  imports: [MyCalls],
  template: `<sb-my-calls [revision]="revision()" />`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class TestHost {
  readonly revision = signal('2026-12-04T09:00:00.000Z');
}

describe('MyCalls', () => {
  let host: TestHost;
  let backend: HttpTestingController;

  async function render(): Promise<MyCallsHarness> {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(TestHost);
    host = fixture.componentInstance;
    fixture.detectChanges();
    return TestbedHarnessEnvironment.harnessForFixture(fixture, MyCallsHarness);
  }

  const figuresRead = (): TestRequest => backend.expectOne((r) => r.url === MY_FIGURES_URL);
  const callsRead = (): TestRequest => backend.expectOne((r) => r.url === MY_CALLS_URL);
  const answerFigures = (figures: Partial<AgentFigures>) =>
    figuresRead().flush({ from: '', to: '', handled: 0, averageHandleSeconds: null, missed: 0, ...figures } satisfies AgentFigures);
  const answerCalls = (page: Page<CallRecord>) => callsRead().flush(page);

  it("shows today's figures and the agent's calls, newest first", async () => {
    const myCalls = await render();
    const today = new Date();
    const figures = figuresRead();
    expect(figures.request.params.get('from')).withContext("midnight in the browser's time zone").toBe(new Date(today.getFullYear(), today.getMonth(), today.getDate()).toISOString());
    figures.flush({ from: '', to: '', handled: 3, averageHandleSeconds: 185, missed: 1 } satisfies AgentFigures);
    answerCalls(fakePage([fakeCall({ id: 'c-2', callerName: 'Kim Student', disposition: 'Escalated', notes: null }), fakeCall({ id: 'c-1' })], 2, 1, 10));
    expect(await myCalls.getFigures()).toEqual({ 'Handled today': '3', 'Average handle time': '03:05', 'Missed today': '1' });
    const rows = await myCalls.getRows();
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['Kim Student', 'Answered', 'Escalated', '—'],
      ['Sam Student', 'Answered', 'Resolved', 'Reset the password.'],
    ]);
  });

  it('shows no AHT before a call was handled, and says when there are no calls', async () => {
    const myCalls = await render();
    answerFigures({});
    answerCalls(fakePage([], 0, 1, 10));
    expect((await myCalls.getFigures())['Average handle time']).toBe('—');
    expect(await myCalls.getMessages()).toContain('No calls yet.');
  });

  it('searches by student from the first page, and pages through older calls', async () => {
    const myCalls = await render();
    answerFigures({});
    answerCalls(fakePage([fakeCall()], 25, 1, 10));
    expect(await myCalls.getPageLabel()).toBe('Page 1 of 3');
    await myCalls.showOlder();
    const older = callsRead();
    expect(older.request.params.get('page')).toBe('2');
    older.flush(fakePage([fakeCall()], 25, 2, 10));
    await myCalls.search('kim');
    // One read per letter typed, each cancelling the one before: the last one counts.
    const searched = backend.match((r) => r.url === MY_CALLS_URL).at(-1) as TestRequest;
    expect(searched.request.params.get('student')).toBe('kim');
    expect(searched.request.params.get('page')).withContext('back to the first page').toBe('1');
    searched.flush(fakePage([], 0, 1, 10));
    expect(await myCalls.getMessages()).toContain('No call of yours matches.');
  });

  it('reads again when the revision changes (a wrap-up just saved)', async () => {
    const myCalls = await render();
    answerFigures({ handled: 1 });
    answerCalls(fakePage([fakeCall()], 1, 1, 10));
    host.revision.set('2026-12-04T09:05:00.000Z');
    TestBed.tick();
    answerFigures({ handled: 2 });
    answerCalls(fakePage([fakeCall({ id: 'c-2' }), fakeCall()], 2, 1, 10));
    expect((await myCalls.getFigures())['Handled today']).toBe('2');
    expect((await myCalls.getRows()).length).toBe(2);
  });

  it('says when the calls could not be loaded', async () => {
    const myCalls = await render();
    answerFigures({});
    callsRead().flush({ code: 'internal' }, { status: 500, statusText: 'Server Error' });
    expect(await myCalls.getMessages()).toContain('Your calls could not be loaded.');
  });
});
