import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { CallerContext } from '@switchboard/call-domain';
import { fakeCall } from '../supervisor/testing/supervisor-fakes';
import { CallerContextPanel, callerContextUrl } from './caller-context-panel';
import { CallerContextHarness } from './testing/caller-context-harness';

@Component({
  imports: [CallerContextPanel],
  template: `<sb-caller-context [callId]="callId()" [callerName]="name()" [compact]="compact()" />`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class TestHost {
  readonly callId = signal('call-1');
  readonly name = signal<string | null>(null);
  readonly compact = signal(false);
}

describe('CallerContextPanel', () => {
  let host: TestHost;
  let backend: HttpTestingController;

  async function render(): Promise<CallerContextHarness> {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(TestHost);
    host = fixture.componentInstance;
    fixture.detectChanges();
    return TestbedHarnessEnvironment.harnessForFixture(fixture, CallerContextHarness);
  }

  function answer(context: Partial<CallerContext>): void {
    backend.expectOne(callerContextUrl(host.callId())).flush({
      callId: host.callId(),
      callerId: 'u-sam',
      callerName: 'Sam Student',
      previousCalls: [],
      previousCallCount: 0,
      openCallbacks: [],
      ...context,
    } satisfies CallerContext);
  }

  it('lists the earlier calls with outcome, agent, disposition and notes, and the open callbacks', async () => {
    const panel = await render();
    answer({
      previousCallCount: 12,
      previousCalls: [fakeCall({ id: 'call-b' }), fakeCall({ id: 'call-a', outcome: 'abandoned', agentName: null, disposition: null, notes: null })],
      openCallbacks: [{ id: 'cb', callId: null, studentId: 'u-sam', name: 'Sam', note: 'After 3 pm', createdAt: '2026-11-21T08:05:00.000Z', doneAt: null, doneById: null, doneByName: null }],
    });
    expect(await panel.getHeading()).toBe('About Sam Student');
    expect(await panel.getSummary()).toContain('12 earlier calls, the last 2:');
    const calls = await panel.getEarlierCalls();
    expect(calls[0]).toMatch(/Answered by Ada Agent — Resolved\s*“Reset the password\.”/);
    expect(calls[1]).toContain('Abandoned');
    expect(await panel.getOpenCallbacks()).toContain('“After 3 pm”');
  });

  it('says so for a first call, and sums up in two lines when compact', async () => {
    const panel = await render();
    answer({});
    expect(await panel.getSummary()).toContain('First call to the help desk.');
    host.compact.set(true);
    host.callId.set('call-2');
    TestBed.tick();
    answer({ previousCallCount: 1, previousCalls: [fakeCall({ disposition: 'Escalated' })] });
    expect(await panel.getEarlierCalls()).toEqual([]);
    expect(await panel.getSummary()).toMatch(/^1 earlier call; the last on .*: Answered by Ada Agent — Escalated\.$/);
  });

  it('says when the history could not be loaded', async () => {
    const panel = await render();
    backend.expectOne(callerContextUrl('call-1')).flush({ code: 'forbidden' }, { status: 403, statusText: 'Forbidden' });
    expect(await panel.getSummary()).toBe("The caller's history could not be loaded.");
  });
});
