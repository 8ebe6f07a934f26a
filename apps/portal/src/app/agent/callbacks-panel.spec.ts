import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { CallbackRecord, CallbackRequest } from '@switchboard/call-domain';
import { SignalingClient } from '@switchboard/call-domain/signaling';
import { Subject } from 'rxjs';
import { storeFakeSession } from '../auth/testing/session-fakes';
import { answer, to } from '../supervisor/testing/http-answers';
import { fakeCallback, fakePage } from '../supervisor/testing/supervisor-fakes';
import { AGENT_CALLBACKS_URL, CallbacksPanel } from './callbacks-panel';
import { CallbacksPanelHarness } from './testing/callbacks-panel-harness';

@Component({
  imports: [CallbacksPanel],
  template: `<sb-callbacks-panel [canCall]="canCall()" (called)="called.push($event)" />`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class TestHost {
  readonly canCall = signal(true);
  readonly called: CallbackRequest[] = [];
}

describe('CallbacksPanel', () => {
  let backend: HttpTestingController;
  let changes: Subject<CallbackRequest>;
  let fixture: ComponentFixture<TestHost>;
  const me = 'u-agent';

  async function render(items: CallbackRequest[]): Promise<CallbacksPanelHarness> {
    storeFakeSession('agent');
    changes = new Subject<CallbackRequest>();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: SignalingClient, useValue: { callbackChanged$: changes } }],
    });
    backend = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(TestHost);
    await answer(backend, to(AGENT_CALLBACKS_URL), fakePage(items));
    return TestbedHarnessEnvironment.harnessForFixture(fixture, CallbacksPanelHarness);
  }

  afterEach(() => {
    backend.verify();
    localStorage.clear();
  });

  it('takes a request; Call is enabled only while the student is signed in and the agent may call', async () => {
    const panel = await render([fakeCallback({ studentOnline: false, attempts: 0 })]);
    const request = await panel.getRequest('Sam Student');
    expect(await request.getActions()).toEqual(['Take', 'History']);
    expect(await request.getPresence()).toBe('Not signed in');

    const taking = request.click('Take');
    await answer(backend, to(`${AGENT_CALLBACKS_URL}/cb-1/take`, 'POST'), fakeCallback({ takenById: me, takenByName: 'Ada Agent', studentOnline: false, attempts: 0 }));
    await taking;
    expect(await request.getActions()).toEqual(['Call', 'Record attempt', 'Mark done', 'History']);
    expect(await request.getMeta()).toContain('Taken by you');
    expect(await request.isEnabled('Call')).withContext('student not signed in').toBeFalse();

    changes.next(fakeCallback({ takenById: me, takenByName: 'Ada Agent', studentOnline: true, attempts: 0 }));
    expect(await request.isEnabled('Call')).toBeTrue();
    fixture.componentInstance.canCall.set(false);
    expect(await request.isEnabled('Call')).withContext('agent on a call').toBeFalse();
    fixture.componentInstance.canCall.set(true);
    await request.click('Call');
    expect(fixture.componentInstance.called.map((c) => c.id)).toEqual(['cb-1']);
  });

  it("shows a request another agent took without its actions, and drops one that is done", async () => {
    const panel = await render([fakeCallback({ takenById: 'u-other', takenByName: 'Blake Agent' }), fakeCallback({ id: 'cb-2', name: 'Kim Student' })]);
    const taken = await panel.getRequest('Sam Student');
    expect(await taken.getActions()).toEqual(['History']);
    expect(await taken.getMeta()).toContain('Taken by Blake Agent');
    changes.next(fakeCallback({ doneAt: '2026-12-04T10:00:00.000Z' }));
    expect((await Promise.all((await panel.getRequests()).map((r) => r.getName())))).toEqual(['Kim Student']);
    changes.next(fakeCallback({ id: 'cb-2', name: 'Kim Student', doneAt: '2026-12-04T10:00:00.000Z' }));
    expect(await panel.getEmptyText()).toBe('No open callback requests.');
  });

  it('records an attempt with a note and shows the request’s life', async () => {
    const panel = await render([fakeCallback({ takenById: me, takenByName: 'Ada Agent', attempts: 0 })]);
    const request = await panel.getRequest('Sam Student');
    const saving = request.recordAttempt('Left a voicemail');
    const [post] = await answer(backend, to(`${AGENT_CALLBACKS_URL}/cb-1/attempts`, 'POST'), fakeCallback({ takenById: me, takenByName: 'Ada Agent', attempts: 1 }));
    await saving;
    expect(post.request.body).toEqual({ note: 'Left a voicemail' });
    expect(await request.getMeta()).toContain('Attempts: 1');

    const life: CallbackRecord = {
      ...fakeCallback(),
      life: [
        { at: '2026-11-02T09:10:00.000Z', type: 'requested', actorId: 'u-student', actorName: 'Sam Student', note: null, callId: 'call-1', callOutcome: null },
        { at: '2026-11-02T09:20:00.000Z', type: 'taken', actorId: me, actorName: 'Ada Agent', note: null, callId: null, callOutcome: null },
        { at: '2026-11-02T09:21:00.000Z', type: 'attempt', actorId: me, actorName: 'Ada Agent', note: 'Left a voicemail', callId: null, callOutcome: null },
        { at: '2026-11-02T09:30:00.000Z', type: 'call_placed', actorId: me, actorName: 'Ada Agent', note: null, callId: 'call-2', callOutcome: 'answered' },
      ],
    };
    const showing = request.click('History');
    await answer(backend, to('/api/callbacks/cb-1'), life);
    await showing;
    const entries = await request.getLife();
    expect(entries.map((e) => e.replace(/^.*?(Requested|Taken|Attempt|Call placed)/, '$1'))).toEqual([
      'Requested by Sam Student',
      'Taken by Ada Agent',
      'Attempt by Ada Agent: Left a voicemail',
      'Call placed by Ada Agent — Answered',
    ]);
  });
});
