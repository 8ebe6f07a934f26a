import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, type TestRequest, provideHttpClientTesting } from '@angular/common/http/testing';
import { type HarnessLoader, TestKey } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { MatFormFieldHarness } from '@angular/material/form-field/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { MatSelectHarness } from '@angular/material/select/testing';
import { MatSnackBarHarness } from '@angular/material/snack-bar/testing';
import { provideRouter } from '@angular/router';
import type { AgentStatus, CallOffer, CallSettingsView } from '@switchboard/call-domain';
import { MICROPHONE, SIGNALING_AUTH, SIGNALING_SOCKET_FACTORY, SignalingClient, type SignalingSocket } from '@switchboard/call-domain/signaling';
import { FakeRelay, type FakeSocket, type TestParty, createParty } from '@switchboard/call-domain/signaling/testing';
import { CallPanelHarness } from '@switchboard/ui/testing';
import { filter, firstValueFrom } from 'rxjs';
import { storeFakeSession } from '../auth/testing/session-fakes';
import { fakeCall } from '../supervisor/testing/supervisor-fakes';
import { ACCEPTED_CALLER_KEY, ACCEPTED_CALL_KEY, AgentDesk, CALL_SETTINGS_URL } from './agent-desk';
import { AgentPage } from './agent-page';
import { Ringtone } from './ringtone';
import { type DeskApiData, deskApiStandIn, emptyDeskApi } from './testing/desk-api-stand-in';
import { wrapUpDraftKey } from './wrap-up-form';

/** Waits until `check` holds, re-rendering in between (the fake relay answers asynchronously). */
async function eventually(fixture: ComponentFixture<unknown>, check: () => boolean | Promise<boolean>, what: string, withinMs = 5_000): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    await fixture.whenStable();
    if (await check()) return;
    if (Date.now() > until) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The call settings the desk loads when it starts. */
const SETTINGS: CallSettingsView = {
  ringTimeoutSeconds: 20,
  maxWaitSeconds: 300,
  wrapUpSeconds: 60,
  wrapUpMaxSeconds: 300,
  dispositionRequired: false,
  dispositions: ['Resolved', 'Escalated', 'Other'],
};

/** Midnight of today in the browser's time zone, ISO 8601. */
function startOfToday(): string {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
}

describe('AgentPage', () => {
  let relay: FakeRelay;
  let student: TestParty;
  let sockets: FakeSocket[];
  let fixture: ComponentFixture<AgentPage>;
  let loader: HarnessLoader;
  let overlay: HarnessLoader;
  let ringtone: { unlock: jasmine.Spy; start: jasmine.Spy; stop: jasmine.Spy };

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  const shows = (what: string) => eventually(fixture, () => text().includes(what), `"${what}" on the page`);
  const button = (label: string | RegExp) => loader.getHarness(MatButtonHarness.with({ text: label }));
  const requests = (event: string) => relay.received.filter((r) => r.from === 'agent' && r.event === event).map((r) => r.payload);
  const dialogOpen = async () => (await overlay.getHarnessOrNull(MatDialogHarness)) !== null;
  const status = (patch: Partial<AgentStatus>): AgentStatus => ({
    agentId: 'agent',
    displayName: 'Ada Agent',
    state: 'available',
    since: new Date().toISOString(),
    connected: true,
    callId: null,
    wrapUpEndsAt: null,
    ...patch,
  });

  let deskApi: DeskApiData;
  let deskReads: string[];

  beforeEach(async () => {
    deskApi = emptyDeskApi();
    deskReads = [];
    localStorage.clear();
    storeFakeSession('agent');
    relay = new FakeRelay('agent');
    sockets = [];
    const stop = jasmine.createSpy('stop ringing');
    ringtone = { unlock: jasmine.createSpy('unlock'), start: jasmine.createSpy('start').and.returnValue(stop), stop };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(withInterceptors([deskApiStandIn(deskApi, deskReads)])),
        provideHttpClientTesting(),
        { provide: SIGNALING_AUTH, useValue: () => 'agent' },
        {
          provide: SIGNALING_SOCKET_FACTORY,
          useValue: (token: () => string | null): SignalingSocket => {
            const socket = relay.createSocket(token);
            sockets.push(socket as unknown as FakeSocket);
            return socket;
          },
        },
        { provide: MICROPHONE, useValue: () => navigator.mediaDevices.getUserMedia({ audio: true }) },
        { provide: Ringtone, useValue: ringtone },
      ],
    });
    student = createParty(relay, 'student');
    student.client.connect();
    fixture = TestBed.createComponent(AgentPage);
    loader = TestbedHarnessEnvironment.loader(fixture);
    overlay = TestbedHarnessEnvironment.documentRootLoader(fixture);
    await firstValueFrom(TestBed.inject(SignalingClient).connectionState$.pipe(filter((s) => s === 'connected')));
    await firstValueFrom(student.client.connectionState$.pipe(filter((s) => s === 'connected')));
    await fixture.whenStable();
  });

  afterEach(() => {
    fixture.destroy();
    student.injector.destroy();
    localStorage.clear();
    sessionStorage.clear();
  });

  /** The student calls; resolves once the offer reached the page and its dialog is open. */
  async function offered(): Promise<CallOffer> {
    const offer = firstValueFrom(TestBed.inject(SignalingClient).callOffered$);
    const placing = student.phone.placeCall();
    const session = await placing;
    await eventually(fixture, dialogOpen, 'the incoming-call dialog');
    return { ...(await offer), callId: session.callId };
  }

  it('sends setAvailability from Available and Away, unlocks audio on Available, and shows the state and time in it', async () => {
    expect(text()).toContain('Offline');
    await (await button('Available')).click();
    await eventually(fixture, () => requests('setAvailability').length === 1, 'setAvailability');
    expect(requests('setAvailability')).toEqual([{ state: 'available' }]);
    expect(ringtone.unlock).toHaveBeenCalled();
    await eventually(fixture, async () => (await (await (await button('Available')).host()).getAttribute('aria-pressed')) === 'true', 'Available pressed');
    expect(text()).toMatch(/Available\s*, time in this state 00:0\d/);
    await (await button('Away')).click();
    await eventually(fixture, () => requests('setAvailability').length === 2, 'the second setAvailability');
    expect(requests('setAvailability')[1]).toEqual({ state: 'away' });
    await shows('Away');
  });

  it("opens the Incoming call dialog with the caller's name and a ringtone, and closes it with a message when the offer is withdrawn", async () => {
    const offer = await offered();
    const dialog = await overlay.getHarness(MatDialogHarness);
    expect(await dialog.getTitleText()).toBe('Incoming call');
    expect(await dialog.getContentText()).toContain('student');
    const host = await dialog.host();
    expect(await host.getAttribute('aria-modal')).toBe('true');
    const description = document.getElementById((await host.getAttribute('aria-describedby')) ?? '');
    expect(description?.textContent).withContext("the dialog's description names the caller").toContain('student is calling the help desk');
    expect(ringtone.start).toHaveBeenCalledTimes(1);

    relay.push('agent', 'offerWithdrawn', { callId: offer.callId, reason: 'cancelled' });
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close');
    expect(ringtone.stop).toHaveBeenCalled();
    const snackBar = await overlay.getHarness(MatSnackBarHarness);
    expect(await snackBar.getMessage()).toBe('The caller hung up before you answered.');
  });

  /** Presses a key on the page as a person would (a keydown reaching the document). */
  function press(code: string, key: string, modifiers: { altKey?: boolean; shiftKey?: boolean } = { altKey: true, shiftKey: true }, target: EventTarget = document.body): void {
    target.dispatchEvent(new KeyboardEvent('keydown', { code, key, bubbles: true, cancelable: true, ...modifiers }));
  }

  it('works by keyboard shortcuts: Available, accept, mute, hang up, and "?" lists them', async () => {
    press('KeyV', 'V');
    await eventually(fixture, () => requests('setAvailability').length === 1, 'Available by Alt+Shift+V');
    expect(requests('setAvailability')).toEqual([{ state: 'available' }]);
    press('KeyA', 'A');
    await fixture.whenStable();
    expect(requests('acceptCall')).withContext('nothing to accept').toEqual([]);

    const offer = await offered();
    press('KeyA', 'A');
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close on Alt+Shift+A');
    // The accept is sent once the microphone is open, after the dialog closed.
    await eventually(fixture, () => requests('acceptCall').length === 1, 'acceptCall by Alt+Shift+A');
    // With the answer prepared while it rang, when that was done (see Softphone.prepareAccept).
    expect(requests('acceptCall')).toEqual([jasmine.objectContaining({ callId: offer.callId })]);
    const panel = await loader.getHarness(CallPanelHarness);
    press('KeyM', 'M');
    await eventually(fixture, () => panel.isMuted(), 'muted by Alt+Shift+M');
    const notes = document.createElement('textarea');
    document.body.appendChild(notes);
    press('KeyM', 'M', undefined, notes);
    await fixture.whenStable();
    expect(await panel.isMuted()).withContext('typing in a field is not a command').toBeTrue();
    notes.remove();
    press('KeyH', 'H');
    await eventually(fixture, () => requests('hangUp').length === 1, 'hangUp by Alt+Shift+H');

    press('Slash', '?', { shiftKey: true });
    await eventually(fixture, dialogOpen, 'the shortcuts dialog');
    const dialog = await overlay.getHarness(MatDialogHarness);
    expect(await dialog.getTitleText()).toBe('Keyboard shortcuts');
    expect(await dialog.getContentText()).toContain('Alt+Shift+A');
  }, 20_000);

  it("shows the caller's earlier calls and open callbacks in the dialog and next to the call", async () => {
    deskApi.context = {
      ...deskApi.context,
      previousCallCount: 2,
      previousCalls: [fakeCall({ id: 'call-b', queuedAt: '2026-11-20T14:30:00.000Z', disposition: 'Escalated', notes: 'Sent to IT', agentName: 'Blake Agent' }), fakeCall({ id: 'call-a' })],
      openCallbacks: [{ id: 'cb-1', callId: null, studentId: 'student', name: 'Sam', note: 'After 3 pm please', createdAt: '2026-11-21T08:05:00.000Z', doneAt: null, doneById: null, doneByName: null }],
    };
    const offer = await offered();
    const dialog = await overlay.getHarness(MatDialogHarness);
    await eventually(fixture, async () => (await dialog.getContentText()).includes('2 earlier calls'), "the caller's history in the dialog");
    expect(await dialog.getContentText()).toContain('Answered by Blake Agent — Escalated');
    expect(await dialog.getContentText()).toContain('After 3 pm please');
    expect(deskReads).toContain(`/api/calls/${offer.callId}/caller-context`);

    await (await overlay.getHarness(MatButtonHarness.with({ text: /Accept/ }))).click();
    await shows('“Sent to IT”');
    expect(text()).toContain('About student');
    expect(text()).toContain('“Reset the password.”');
  });

  it('shows the calls waiting and the longest wait, live', async () => {
    relay.push('agent', 'queueChanged', { callsWaiting: 2, oldestQueuedAt: new Date(Date.now() - 65_000).toISOString(), longestWaitSeconds: 65, callsInProgress: 1, generatedAt: new Date().toISOString() });
    await shows('Calls waiting: 2');
    expect(text()).toMatch(/Longest wait: 01:0[5-9]/);
    relay.push('agent', 'queueChanged', { callsWaiting: 0, oldestQueuedAt: null, longestWaitSeconds: null, callsInProgress: 1, generatedAt: new Date().toISOString() });
    await shows('Calls waiting: 0');
    expect(text()).not.toContain('Longest wait');
  });

  it("shows the agent's day (handled, AHT, missed) and their calls, searchable by student", async () => {
    deskApi.figures = { handled: 3, averageHandleSeconds: 185, missed: 1 };
    deskApi.calls = [fakeCall({ id: 'call-b', callerName: 'Kim Student', notes: 'Wi-Fi on campus' }), fakeCall({ id: 'call-a' })];
    // Read again when the agent's state changes (e.g. a wrap-up just saved).
    relay.push('agent', 'agentStatusChanged', status({ state: 'available' }));
    await shows('Kim Student');
    expect(text()).toMatch(/Handled today\s*3/);
    expect(text()).toMatch(/Average handle time\s*03:05/);
    expect(text()).toMatch(/Missed today\s*1/);
    const figuresRead = deskReads.find((r) => r.startsWith('/api/me/figures'));
    expect(figuresRead).withContext("today, in the browser's time zone").toContain(`from=${startOfToday()}`);
    const search = await (await loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Search by student' }))).getControl(MatInputHarness);
    await search?.setValue('kim');
    await eventually(fixture, () => !text().includes('Reset the password'), 'the search to apply');
    expect(text()).toContain('Wi-Fi on campus');
    expect(deskReads.at(-1)).toContain('student=kim');
  });

  it('declines: sends declineCall, closes the dialog and puts the focus back on the availability buttons', async () => {
    relay.push('agent', 'agentStatusChanged', status({ state: 'ringing' }));
    const offer = await offered();
    await (await overlay.getHarness(MatButtonHarness.with({ text: /Decline/ }))).click();
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close');
    expect(requests('declineCall')).toEqual([{ callId: offer.callId }]);
    relay.push('agent', 'agentStatusChanged', status({ state: 'available' }));
    await eventually(fixture, async () => (await (await button('Available')).host()).isFocused(), 'the focus on Available after Decline');
  });

  it('after a ring-out the focus goes to Return to Available, not to the page body', async () => {
    relay.push('agent', 'agentStatusChanged', status({ state: 'ringing' }));
    const offer = await offered();
    relay.push('agent', 'offerWithdrawn', { callId: offer.callId, reason: 'rang_out' });
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close');
    relay.push('agent', 'agentStatusChanged', status({ state: 'missed' }));
    await shows('You missed a call');
    await eventually(fixture, async () => (await (await button('Return to Available')).host()).isFocused(), 'the focus on Return to Available');
  });

  it("accepts: shows the call panel with the caller's name, connecting and then connected", async () => {
    const offer = await offered();
    await (await overlay.getHarness(MatButtonHarness.with({ text: /Accept/ }))).click();
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close');
    const panel = await loader.getHarness(CallPanelHarness);
    expect(await panel.getPeerName()).toBe('student');
    expect(await panel.getStatusText()).toMatch(/^(Connecting…|\d\d:\d\d)$/);
    await eventually(fixture, () => requests('acceptCall').length === 1, 'acceptCall');
    // With the answer prepared while it rang, when that was done (see Softphone.prepareAccept).
    expect(requests('acceptCall')).toEqual([jasmine.objectContaining({ callId: offer.callId })]);
    await eventually(fixture, () => panel.isMuteFocused(), 'the focus on Mute after Accept');
    await eventually(fixture, async () => (await panel.getTalkTime()) !== null, 'media connected', 10_000);
    await panel.hangUp();
    await eventually(fixture, async () => (await loader.getHarnessOrNull(CallPanelHarness)) === null, 'the panel to go');
    await eventually(fixture, () => requests('hangUp').length === 1, 'hangUp');
    expect(requests('hangUp')).toEqual([{ callId: offer.callId }]);
  }, 20_000);

  /**
   * Accepts the ringing call with its dialog's Accept and, as Mute takes the focus, moves the
   * focus to `elsewhere` (given the dialog's Accept) in the same task — as a dialog's focus trap
   * running in the same render as the call panel's would. Resolves once the dialog is gone, with
   * the element the focus was moved to.
   */
  async function acceptAndMoveFocus(elsewhere: (accept: HTMLElement) => HTMLElement): Promise<HTMLElement> {
    await offered();
    const accept = TestbedHarnessEnvironment.getNativeElement(await (await overlay.getHarness(MatButtonHarness.with({ text: /Accept/ }))).host()) as HTMLElement;
    const target = elsewhere(accept);
    let moved = false;
    const onFocus = (event: FocusEvent) => {
      if (!(event.target instanceof HTMLElement) || !event.target.matches('sb-call-panel .mute')) return;
      document.removeEventListener('focusin', onFocus, true);
      queueMicrotask(() => {
        target.focus();
        moved = document.activeElement === target;
      });
    };
    document.addEventListener('focusin', onFocus, true);
    accept.click();
    await eventually(fixture, () => moved, 'Mute focused, then the focus moved away as the dialog closes');
    await eventually(fixture, async () => !(await dialogOpen()), 'the dialog to close');
    return target;
  }

  it('gives the focus back to Mute when the closing dialog held it', async () => {
    await acceptAndMoveFocus((accept) => accept);
    const panel = await loader.getHarness(CallPanelHarness);
    await eventually(fixture, () => panel.isMuteFocused(), 'the focus back on Mute, not on the page body');
  }, 20_000);

  it('leaves the focus where the agent put it when the dialog closes after Accept', async () => {
    const heading = await acceptAndMoveFocus(() => (fixture.nativeElement as HTMLElement).querySelector<HTMLElement>('#agent-heading') as HTMLElement);
    const panel = await loader.getHarness(CallPanelHarness);
    await fixture.whenStable();
    expect(document.activeElement).withContext('the heading keeps the focus').toBe(heading);
    expect(await panel.isMuteFocused()).toBeFalse();
  }, 20_000);

  it('shows the missed banner, and Return to Available sends setAvailability', async () => {
    relay.push('agent', 'agentStatusChanged', status({ state: 'missed' }));
    await shows('You missed a call');
    expect(await loader.getAllHarnesses(MatButtonHarness.with({ text: 'Available' }))).withContext('one way back, not two').toEqual([]);
    await (await button('Return to Available')).click();
    await eventually(fixture, () => requests('setAvailability').length === 1, 'setAvailability');
    expect(requests('setAvailability')).toEqual([{ state: 'available' }]);
    await eventually(fixture, () => !text().includes('You missed a call'), 'the banner to go');
  });

  it('wrap-up: counts down, and Done sends the chosen disposition and notes', async () => {
    const endsAt = new Date(Date.now() + 45_000).toISOString();
    relay.push('agent', 'agentStatusChanged', status({ state: 'wrap_up', callId: 'call-1', wrapUpEndsAt: endsAt }));
    await answerSettings();
    await shows('Wrap-up ends in');
    expect(text()).toMatch(/Wrap-up ends in 00:4\d/);
    const select = await loader.getHarness(MatSelectHarness);
    expect(await select.getValueText()).toBe('Resolved');
    await select.open();
    await select.clickOptions({ text: 'Escalated' });
    const notes = await (await loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Notes' }))).getControl(MatInputHarness);
    await notes?.setValue('Password reset, sent to IT');
    await (await button('Done')).click();
    await eventually(fixture, () => requests('completeWrapUp').length === 1, 'completeWrapUp');
    expect(requests('completeWrapUp')).toEqual([{ callId: 'call-1', disposition: 'Escalated', notes: 'Password reset, sent to IT' }]);
    relay.push('agent', 'agentStatusChanged', status({ state: 'available' }));
    await eventually(fixture, async () => (await (await button('Available')).host()).isFocused(), 'the focus on Available after Done');
  });

  it('wrap-up takes the focus on the Disposition when it opens (after Hang up)', async () => {
    relay.push('agent', 'agentStatusChanged', status({ state: 'wrap_up', callId: 'call-1', wrapUpEndsAt: new Date(Date.now() + 45_000).toISOString() }));
    await answerSettings();
    await shows('Wrap-up ends in');
    await eventually(fixture, async () => (await (await loader.getHarness(MatSelectHarness)).isFocused()), 'the focus on Disposition');
  });

  /** Answers the call settings request the desk made when it started. */
  async function answerSettings(patch: Partial<CallSettingsView> = {}): Promise<void> {
    const backend = TestBed.inject(HttpTestingController);
    let loads: TestRequest[] = [];
    for (let i = 0; i < 100 && loads.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      loads = backend.match(CALL_SETTINGS_URL);
    }
    expect(loads.length).toBe(1);
    loads[0].flush({ ...SETTINGS, ...patch });
  }

  /** Puts the agent in wrap-up for `call-1`, begun now, ending in `endsInMs`. */
  function wrapUpFor(endsInMs: number): void {
    relay.push('agent', 'agentStatusChanged', status({ state: 'wrap_up', callId: 'call-1', since: new Date().toISOString(), wrapUpEndsAt: new Date(Date.now() + endsInMs).toISOString() }));
  }

  it('wrap-up: "+30 s" asks for more time, and is gone once the configured maximum is reached', async () => {
    wrapUpFor(45_000);
    await answerSettings({ wrapUpMaxSeconds: 60 });
    await shows('Wrap-up ends in');
    await (await button(/^\+30 s/)).click();
    await eventually(fixture, () => requests('extendWrapUp').length === 1, 'extendWrapUp');
    expect(requests('extendWrapUp')).toEqual([{ callId: 'call-1' }]);
    // The (fake) server moved the end 90 s after the start: past the 60 s maximum.
    await eventually(fixture, async () => (await loader.getAllHarnesses(MatButtonHarness.with({ text: /^\+30 s/ }))).length === 0, '+30 s to go');
    expect(text()).toMatch(/Wrap-up ends in 01:[23]\d/);
  });

  it('wrap-up: keeps what the agent typed across a reload of the page, and forgets it on Done', async () => {
    wrapUpFor(45_000);
    await answerSettings();
    await shows('Wrap-up ends in');
    const notesField = async () => {
      const control = await (await loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Notes' }))).getControl(MatInputHarness);
      if (!control) throw new Error('no Notes field');
      return control;
    };
    await (await notesField()).setValue('Half-written note');
    fixture.destroy();
    fixture = TestBed.createComponent(AgentPage);
    loader = TestbedHarnessEnvironment.loader(fixture);
    await shows('Wrap-up ends in');
    expect(await (await notesField()).getValue()).toBe('Half-written note');
    await (await button('Done')).click();
    await eventually(fixture, () => requests('completeWrapUp').length === 1, 'completeWrapUp');
    expect(requests('completeWrapUp')).toEqual([{ callId: 'call-1', disposition: 'Resolved', notes: 'Half-written note' }]);
    expect(sessionStorage.getItem(wrapUpDraftKey('call-1'))).toBeNull();
  });

  it('wrap-up: forgets the draft once the wrap-up is over without Done (its time ran out)', async () => {
    wrapUpFor(45_000);
    await answerSettings();
    await shows('Wrap-up ends in');
    const notes = await (await loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Notes' }))).getControl(MatInputHarness);
    await notes?.setValue('Half-written note');
    expect(sessionStorage.getItem(wrapUpDraftKey('call-1'))).toContain('Half-written note');
    relay.push('agent', 'agentStatusChanged', status({ state: 'available' }));
    await eventually(fixture, () => !text().includes('Wrap-up ends in'), 'the wrap-up to end');
    expect(sessionStorage.getItem(wrapUpDraftKey('call-1'))).toBeNull();
  });

  it('wrap-up: with a required disposition, nothing is preselected and Done waits for a choice', async () => {
    wrapUpFor(45_000);
    await answerSettings({ dispositionRequired: true });
    await shows('Choose what the call was about');
    const select = await loader.getHarness(MatSelectHarness);
    expect(await select.getValueText()).toBe('');
    expect(await (await button('Done')).isDisabled()).toBeTrue();
    await select.open();
    await select.clickOptions({ text: 'Other' });
    expect(await (await button('Done')).isDisabled()).toBeFalse();
  });

  it('reads the call settings when the desk starts; until they are in, wrap-up says "Loading dispositions…" and saves nothing', async () => {
    const backend = TestBed.inject(HttpTestingController);
    const loads = backend.match(CALL_SETTINGS_URL);
    expect(loads.length).withContext('asked at desk start, before any wrap-up').toBe(1);
    wrapUpFor(45_000);
    await shows('Loading dispositions…');
    const select = await loader.getHarness(MatSelectHarness);
    expect(await (await select.host()).getAttribute('aria-describedby')).withContext('the hint describes the select').toBeTruthy();
    expect(await (await button('Done')).isDisabled()).toBeTrue();
    // A quick keyboard agent: the next disposition, then Done (Enter's submit, and the desk itself).
    await (await select.host()).sendKeys(TestKey.DOWN_ARROW);
    ((fixture.nativeElement as HTMLElement).querySelector('form[aria-labelledby="wrap-up-heading"]') as HTMLFormElement).requestSubmit();
    await TestBed.inject(AgentDesk).completeWrapUp('Resolved', '');
    expect(await select.getValueText()).toBe('');

    loads[0].flush(SETTINGS);
    await eventually(fixture, async () => (await select.getValueText()) === 'Resolved', 'the first disposition once loaded');
    expect(text()).not.toContain('Loading dispositions…');
    await (await select.host()).sendKeys(TestKey.DOWN_ARROW);
    expect(await select.getValueText()).toBe('Escalated');
    await (await button('Done')).click();
    await eventually(fixture, () => requests('completeWrapUp').length === 1, 'completeWrapUp');
    expect(requests('completeWrapUp')).withContext('only the one after the list arrived').toEqual([{ callId: 'call-1', disposition: 'Escalated', notes: '' }]);
  });

  it('wrap-up: a failed read of the dispositions says so, keeps Done off, and "Try again" reads them again', async () => {
    const backend = TestBed.inject(HttpTestingController);
    wrapUpFor(45_000);
    backend.expectOne(CALL_SETTINGS_URL).flush('down', { status: 503, statusText: 'Service Unavailable' });
    await shows('The dispositions could not be loaded, so Done waits for them. Trying again in 2 s.');
    expect(await (await button('Done')).isDisabled()).toBeTrue();
    const tryAgain = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('.banner button');
    if (!tryAgain) throw new Error('no Try again button');
    tryAgain.focus();
    tryAgain.click();
    // While it tries again the banner stays, its button off but still holding the focus.
    await shows('The dispositions could not be loaded, so Done waits for them. Trying again now…');
    expect(tryAgain.getAttribute('aria-disabled')).toBe('true');
    expect(document.activeElement).toBe(tryAgain);
    backend.expectOne(CALL_SETTINGS_URL).flush(SETTINGS);
    await eventually(fixture, async () => !(await (await button('Done')).isDisabled()), 'Done on once loaded');
    expect(text()).not.toContain('could not be loaded');
    expect(await (await loader.getHarness(MatSelectHarness)).getValueText()).toBe('Resolved');
    // The banner went with the focus: it is back on the Disposition.
    await eventually(fixture, () => !!document.activeElement?.closest('mat-select'), 'focus on the Disposition');
  });

  /** A call placed while the agent's previous page was open: what that page heard is gone with it. */
  async function placedBeforeReload(hear: 'drop' | 'hold'): Promise<string> {
    const heard: string[] = [];
    relay.intercept = (delivery) => {
      if (delivery.to !== 'agent') return 'deliver';
      heard.push(delivery.event);
      return hear;
    };
    const session = await student.phone.placeCall();
    // The offer of the call, then the caller's SDP offer (sent early), went to the old page.
    await eventually(fixture, () => heard.includes('callOffered') && heard.includes('offerRelayed'), 'the deliveries to the page before the reload');
    relay.intercept = () => 'deliver';
    return session.callId;
  }

  describe('after a reload', () => {
    it("while On call: takes this tab's call up again, and the call panel connects to the caller's new offer", async () => {
      const callId = await placedBeforeReload('drop');
      // This tab accepted it before the reload.
      sessionStorage.setItem(ACCEPTED_CALL_KEY, callId);
      sessionStorage.setItem(ACCEPTED_CALLER_KEY, JSON.stringify({ id: 'student', displayName: 'student' }));
      // What the server sends the new page's socket on connect.
      relay.push('agent', 'agentStatusChanged', status({ state: 'on_call', callId }));
      await eventually(fixture, () => requests('resumeCall').length === 1, 'resumeCall');
      expect(requests('resumeCall')).toEqual([{ callId }]);
      // The panel shows once the new session is up (its microphone opened: slower on a cold browser).
      await eventually(fixture, async () => (await loader.getHarnessOrNull(CallPanelHarness)) !== null, 'the call panel', 10_000);
      const panel = await loader.getHarness(CallPanelHarness);
      expect(await panel.getPeerName()).toBe('student');
      // The caller, told the call resumed, offered from a new peer connection; this page answered it.
      await eventually(fixture, async () => (await panel.getTalkTime()) !== null, 'media connected', 10_000);
      expect(text()).not.toContain('interrupted');
      await panel.hangUp();
      await eventually(fixture, () => requests('hangUp').length === 1, 'hangUp');
    }, 20_000);

    it('while On call, when the call cannot be taken up again: says it was interrupted, keeps Available/Away off, and Hang up ends it and leads to wrap-up', async () => {
      // A call the relay no longer knows: taking it up again is refused.
      const callId = crypto.randomUUID();
      sessionStorage.setItem(ACCEPTED_CALL_KEY, callId);
      // What the server sends the new page's socket on connect.
      relay.push('agent', 'agentStatusChanged', status({ state: 'on_call', callId }));
      await shows('Your call was interrupted when the page reloaded.');
      expect(text()).toContain('On call');
      expect(await loader.getHarnessOrNull(CallPanelHarness)).toBeNull();
      expect(await (await button('Available')).isDisabled()).toBeTrue();
      expect(await (await button('Away')).isDisabled()).toBeTrue();

      await (await button('Hang up')).click();
      await eventually(fixture, () => requests('hangUp').length === 1, 'hangUp');
      expect(requests('hangUp')).toEqual([{ callId }]);
      const endsAt = new Date(Date.now() + 50_000).toISOString();
      relay.push('agent', 'agentStatusChanged', status({ state: 'wrap_up', callId, wrapUpEndsAt: endsAt }));
      await answerSettings();
      await shows('Wrap-up ends in');
      expect(text()).not.toContain('was interrupted');
      await (await button('Done')).click();
      await eventually(fixture, () => requests('completeWrapUp').length === 1, 'completeWrapUp');
      expect(requests('completeWrapUp')).toEqual([{ callId, disposition: 'Resolved', notes: '' }]);
    });

    it('during Wrap-up: the page shows the wrap-up form with its countdown, and Done saves it for that call', async () => {
      // The desk hears the status on connect, before the lazily loaded page exists.
      fixture.destroy();
      const endsAt = new Date(Date.now() + 35_000).toISOString();
      relay.push('agent', 'agentStatusChanged', status({ state: 'wrap_up', callId: 'call-before-reload', wrapUpEndsAt: endsAt }));
      await eventually(fixture, () => TestBed.inject(AgentDesk).status()?.state === 'wrap_up', 'the status');
      fixture = TestBed.createComponent(AgentPage);
      loader = TestbedHarnessEnvironment.loader(fixture);
      await answerSettings();
      await shows('Wrap-up ends in');
      expect(text()).toMatch(/Wrap-up ends in 00:3\d/);
      await (await button('Done')).click();
      await eventually(fixture, () => requests('completeWrapUp').length === 1, 'completeWrapUp');
      expect(requests('completeWrapUp')).toEqual([{ callId: 'call-before-reload', disposition: 'Resolved', notes: '' }]);
    });

    it('while Ringing: the re-sent offer opens the Incoming call dialog again, and Accept connects', async () => {
      const callId = await placedBeforeReload('hold');
      expect(await dialogOpen()).toBeFalse();
      // On connect the server re-sends the status, the offer and the caller's held signaling.
      relay.push('agent', 'agentStatusChanged', status({ state: 'ringing', callId }));
      relay.release();
      await eventually(fixture, dialogOpen, 'the incoming-call dialog');
      expect(await (await overlay.getHarness(MatDialogHarness)).getContentText()).toContain('student');
      await (await overlay.getHarness(MatButtonHarness.with({ text: /Accept/ }))).click();
      await eventually(fixture, () => requests('acceptCall').length === 1, 'acceptCall');
      expect(requests('acceptCall')).toEqual([jasmine.objectContaining({ callId })]);
      const panel = await loader.getHarness(CallPanelHarness);
      await eventually(fixture, async () => (await panel.getTalkTime()) !== null, 'media connected', 10_000);
      await panel.hangUp();
      await eventually(fixture, () => requests('hangUp').length === 1, 'hangUp');
    }, 20_000);

    it('in a second tab while another tab of the agent took the call: says the call is in another tab, with no Hang up', async () => {
      const offer = await offered();
      // Another tab of the same agent accepted it.
      relay.push('agent', 'offerWithdrawn', { callId: offer.callId, reason: 'taken_elsewhere' });
      relay.push('agent', 'agentStatusChanged', status({ state: 'on_call', callId: offer.callId }));
      await shows('This call is in another tab');
      expect(text()).toContain('You answered student in another tab');
      expect(text()).not.toContain('interrupted');
      expect(await loader.getHarnessOrNull(MatButtonHarness.with({ text: 'Hang up' }))).toBeNull();
      expect(await (await button('Available')).isDisabled()).toBeTrue();
    });

    it('in a tab opened after another tab accepted: says the call is in another tab, with no Hang up', async () => {
      const callId = await placedBeforeReload('drop');
      relay.push('agent', 'agentStatusChanged', status({ state: 'on_call', callId }));
      await shows('This call is in another tab');
      expect(text()).not.toContain('interrupted');
      expect(await loader.getHarnessOrNull(MatButtonHarness.with({ text: 'Hang up' }))).toBeNull();
    });

    it('shows no interrupted card for the call this page holds', async () => {
      const offer = await offered();
      await (await overlay.getHarness(MatButtonHarness.with({ text: /Accept/ }))).click();
      await eventually(fixture, () => requests('acceptCall').length === 1, 'acceptCall');
      relay.push('agent', 'agentStatusChanged', status({ state: 'on_call', callId: offer.callId }));
      await eventually(fixture, () => TestBed.inject(AgentDesk).status()?.state === 'on_call', 'the status');
      expect(await loader.getHarnessOrNull(CallPanelHarness)).not.toBeNull();
      expect(text()).not.toContain('interrupted');
      expect(text()).not.toContain('another tab');
    }, 20_000);
  });

  it('shows Reconnecting… while the socket is down', async () => {
    expect(text()).not.toContain('Reconnecting…');
    const socket = sockets[0];
    socket.receive('disconnect', 'transport close');
    await shows('Reconnecting…');
    socket.receive('connect');
    await eventually(fixture, () => !text().includes('Reconnecting…'), 'the banner to go');
  });
});
