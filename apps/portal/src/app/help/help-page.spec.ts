import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import type { HarnessLoader } from '@angular/cdk/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatFormFieldHarness } from '@angular/material/form-field/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { provideRouter } from '@angular/router';
import { type CallOffer, NO_AGENTS_MESSAGE } from '@switchboard/call-domain';
import { MICROPHONE, SIGNALING_AUTH, SIGNALING_SOCKET_FACTORY, SignalingClient, SignalingError } from '@switchboard/call-domain/signaling';
import { FakeRelay, type TestParty, createParty } from '@switchboard/call-domain/signaling/testing';
import { CallPanelHarness } from '@switchboard/ui/testing';
import { filter, firstValueFrom } from 'rxjs';
import { storeFakeSession } from '../auth/testing/session-fakes';
import { AudioSettingsHarness } from '../devices/testing/device-harnesses';
import { HelpPage, NO_AGENT_ON_DUTY_MESSAGE, announce, describeWait } from './help-page';
import { PLACED_CALL_KEY, RELOADED_CALL_MESSAGE } from './student-call';

/** Waits until `check` holds, re-rendering in between (the fake relay answers asynchronously). */
async function eventually(fixture: ComponentFixture<unknown>, check: () => boolean, what: string, withinMs = 5_000): Promise<void> {
  const until = Date.now() + withinMs;
  for (;;) {
    await fixture.whenStable();
    if (check()) return;
    if (Date.now() > until) throw new Error(`Timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('HelpPage', () => {
  let relay: FakeRelay;
  let agent: TestParty;
  let microphone: () => Promise<MediaStream>;
  let fixture: ComponentFixture<HelpPage>;
  let loader: HarnessLoader;

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  const shows = (what: string | RegExp, withinMs?: number) =>
    eventually(fixture, () => (typeof what === 'string' ? text().includes(what) : what.test(text())), `"${what}" on the page`, withinMs);
  const button = (label: string | RegExp) => loader.getHarness(MatButtonHarness.with({ text: label }));
  const hasButton = async (label: string | RegExp) => (await loader.getHarnessOrNull(MatButtonHarness.with({ text: label }))) !== null;
  const requests = (event: string) => relay.received.filter((r) => r.from === 'student' && r.event === event);
  /** The page's one live region. */
  const liveRegion = () => (fixture.nativeElement as HTMLElement).querySelector('[data-testid="call-announcement"]') as HTMLElement;
  const announced = (what: string | RegExp) =>
    eventually(fixture, () => (typeof what === 'string' ? liveRegion().textContent?.trim() === what : what.test(liveRegion().textContent ?? '')), `"${what}" announced`);

  beforeEach(async () => {
    localStorage.clear();
    storeFakeSession('student');
    relay = new FakeRelay('agent');
    microphone = () => navigator.mediaDevices.getUserMedia({ audio: true });
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: SIGNALING_AUTH, useValue: () => 'student' },
        { provide: SIGNALING_SOCKET_FACTORY, useValue: relay.createSocket },
        { provide: MICROPHONE, useValue: () => microphone() },
      ],
    });
    agent = createParty(relay, 'agent');
    agent.client.connect();
    await firstValueFrom(agent.client.connectionState$.pipe(filter((s) => s === 'connected')));
  });

  afterEach(() => {
    fixture?.destroy();
    agent.injector.destroy();
    localStorage.clear();
    sessionStorage.clear();
  });

  async function render(offer?: string): Promise<void> {
    fixture = TestBed.createComponent(HelpPage);
    if (offer) fixture.componentRef.setInput('offer', offer);
    loader = TestbedHarnessEnvironment.loader(fixture);
    const client = TestBed.inject(SignalingClient);
    await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'connected')));
  }

  /** Clicks Call support and waits for the agent to be offered the call. */
  async function callSupport(): Promise<CallOffer> {
    const offered = firstValueFrom(agent.client.callOffered$);
    await (await button(/Call support/)).click();
    await shows('Waiting for an agent…');
    return offered;
  }

  it('waits in line after Call support, showing the place in line and the estimated wait as they change', async () => {
    await render();
    const offer = await callSupport();
    await shows('You are number 1 in line');
    relay.push('student', 'queueUpdated', { callId: offer.callId, position: 3, estimatedWaitSeconds: 130 });
    await shows('You are number 3 in line');
    expect(text()).toContain('Estimated wait: about 2 minutes');
    expect(await hasButton(/Call support/)).toBeFalse();
  });

  it('says nobody is taking calls, with no estimate, while no agent is on duty', async () => {
    await render();
    const offer = await callSupport();
    relay.push('student', 'queueUpdated', { callId: offer.callId, position: 1, estimatedWaitSeconds: null, staffed: false });
    await shows(NO_AGENT_ON_DUTY_MESSAGE);
    expect(text()).not.toContain('Estimated wait');
    relay.push('student', 'queueUpdated', { callId: offer.callId, position: 1, estimatedWaitSeconds: 20, staffed: true });
    await shows('Estimated wait: less than a minute');
    expect(text()).not.toContain(NO_AGENT_ON_DUTY_MESSAGE);
  });

  it('announces the call in one live region that stays in the page: waiting, place in line, connected, ended', async () => {
    await render();
    const region = liveRegion();
    expect(region.getAttribute('role')).toBe('status');
    const offer = await callSupport();
    relay.push('student', 'queueUpdated', { callId: offer.callId, position: 2, estimatedWaitSeconds: 130 });
    await announced('Waiting for an agent. You are number 2 in line. Estimated wait: about 2 minutes.');
    expect((fixture.nativeElement as HTMLElement).querySelectorAll('[aria-live], [role="status"]').length).withContext('no second region for the wait').toBe(1);
    const callee = await agent.phone.acceptCall(offer);
    await announced('Connected: you are talking with agent.');
    await callee.hangUp();
    await announced('The agent ended the call.');
    expect(liveRegion()).withContext('the same element throughout').toBe(region);
  }, 20_000);

  it('leaves the line with Cancel call and offers Call support again', async () => {
    await render();
    const offer = await callSupport();
    const withdrawn = firstValueFrom(agent.client.offerWithdrawn$);
    await (await button('Cancel call')).click();
    expect((await withdrawn).callId).toBe(offer.callId);
    expect(requests('cancelCall').map((r) => r.payload)).toEqual([{ callId: offer.callId }]);
    await eventually(fixture, () => text().includes('You left the line.'), 'left the line');
    expect(await hasButton(/Call support/)).toBeTrue();
  });

  it('says an agent declined and keeps waiting in line', async () => {
    await render();
    const offer = await callSupport();
    await agent.client.declineCall({ callId: offer.callId });
    await shows(/declined your call\. You keep your place in line/);
    expect(text()).toContain('Waiting for an agent…');
    expect(await hasButton('Cancel call')).toBeTrue();
  });

  it('says so when no agents are available, and stays ready to call', async () => {
    await render();
    spyOn(TestBed.inject(SignalingClient), 'requestCall').and.rejectWith(
      new SignalingError({ code: 'no_agents_available', message: 'No agent is signed in.' }),
    );
    await (await button(/Call support/)).click();
    await shows(NO_AGENTS_MESSAGE); // the text shared with the API (@switchboard/call-domain)
    expect(await hasButton(/Call support/)).toBeTrue();
  });

  it('places no call when the microphone is blocked, and says how to allow it', async () => {
    microphone = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    await render();
    await (await button(/Call support/)).click();
    await shows('site settings');
    expect(text()).toContain('Microphone → Allow');
    expect(requests('requestCall').length).toBe(0);
  });

  it('after an unanswered call, offers a callback request with the name prefilled', async () => {
    await render();
    const offer = await callSupport();
    relay.push('student', 'callEnded', { callId: offer.callId, outcome: 'unanswered', endedBy: 'system', reason: 'max_wait' });
    await shows('No agent could take your call in time');
    const field = async (label: string) => (await loader.getHarness(MatFormFieldHarness.with({ floatingLabelText: label }))).getControl(MatInputHarness);
    expect(await (await field('Your name'))?.getValue()).toBe('Ada Student');
    await (await field('Note for the help desk'))?.setValue('Call me on 555-0100 about my account');
    await (await button('Request callback')).click();
    await shows('the help desk will call you back');
    expect(requests('requestCallback').map((r) => r.payload)).toEqual([
      { callId: offer.callId, name: 'Ada Student', note: 'Call me on 555-0100 about my account' },
    ]);
    expect(await hasButton(/Call support/)).toBeTrue();
  });

  it("shows the call panel with the agent's name once accepted, and says when the agent ends the call", async () => {
    await render();
    const offer = await callSupport();
    const callee = await agent.phone.acceptCall(offer);
    const panel = await loader.getHarness(CallPanelHarness);
    expect(await panel.getPeerName()).toBe('agent');
    await eventually(fixture, () => callee.state() === 'connected', 'media connected', 10_000);
    await eventually(fixture, () => /\d\d:\d\d/.test(text()), 'talk time');
    // Remembered in this tab, for a reload to end it (see the reload tests).
    expect(sessionStorage.getItem(PLACED_CALL_KEY)).toBe(offer.callId);
    await callee.hangUp();
    await shows('The agent ended the call');
    expect(sessionStorage.getItem(PLACED_CALL_KEY)).toBeNull();
    expect(await hasButton(/Call support/)).toBeTrue();
  }, 20_000);

  it('offers the device choices during the call; another microphone is sent at once on the same connection, muted kept', async () => {
    const opened: MediaStream[] = [];
    microphone = async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      opened.push(stream);
      return stream;
    };
    await render();
    expect(await loader.getHarnessOrNull(AudioSettingsHarness)).withContext('not before a call').toBeNull();
    const offer = await callSupport();
    const callee = await agent.phone.acceptCall(offer);
    await eventually(fixture, () => callee.state() === 'connected', 'media connected', 10_000);
    const panel = await loader.getHarness(CallPanelHarness);
    await panel.toggleMute();
    const settings = await loader.getHarness(AudioSettingsHarness);
    expect(await settings.getChoices()).toContain('Microphone');
    const before = opened.length;

    await settings.choose('Microphone', 'Fake Audio Input 2');
    // The student's call opened the first microphone (the agent's side opens its own too).
    await eventually(fixture, () => opened.length === before + 1 && opened[0].getAudioTracks()[0].readyState === 'ended', 'the new microphone in use, the old one released');
    expect(opened[before].getAudioTracks()[0].enabled).withContext('still muted').toBeFalse();
    expect(await panel.isMuted()).toBeTrue();
    expect(requests('sendOffer').length).withContext('no new negotiation').toBe(1);
    expect(callee.state()).toBe('connected');
    await (await button(/Hang up/)).click();
  }, 20_000);

  it('with ?offer=late (the benchmark baseline), sends its offer only after the agent accepted', async () => {
    await render('late');
    const offer = await callSupport();
    const callee = await agent.phone.acceptCall(offer);
    await eventually(fixture, () => requests('sendOffer').length === 1, 'the late offer');
    // In the order the relay received them: the agent's accept, then the caller's first offer.
    const order = relay.received.map((r) => `${r.from} ${r.event}`);
    expect(order.indexOf('agent acceptCall')).toBeGreaterThan(-1);
    expect(order.indexOf('student sendOffer')).toBeGreaterThan(order.indexOf('agent acceptCall'));
    await callee.hangUp();
  }, 20_000);

  describe('after a reload', () => {
    /** A call placed by the page before the reload (its media went with it). */
    async function placedBeforeReload(): Promise<string> {
      const client = TestBed.inject(SignalingClient);
      client.connect();
      await firstValueFrom(client.connectionState$.pipe(filter((s) => s === 'connected')));
      return (await client.requestCall()).callId;
    }

    it("ends this tab's earlier call with cancelCall, says why, and offers Call support again", async () => {
      const callId = await placedBeforeReload();
      sessionStorage.setItem(PLACED_CALL_KEY, callId);
      await render();
      // What the server sends a student's new socket for a waiting call.
      relay.push('student', 'queueUpdated', { callId, position: 1, estimatedWaitSeconds: null });
      await shows(RELOADED_CALL_MESSAGE);
      expect(requests('cancelCall').map((r) => r.payload)).toEqual([{ callId }]);
      expect(sessionStorage.getItem(PLACED_CALL_KEY)).toBeNull();
      expect(text()).not.toContain('Waiting for an agent…');
      expect(await (await button(/Call support/)).isDisabled()).toBeFalse();
    });

    it('leaves alone a call placed by another tab of the same student', async () => {
      const callId = await placedBeforeReload();
      await render();
      relay.push('student', 'queueUpdated', { callId, position: 1, estimatedWaitSeconds: null });
      // This page's own call, placed after the other tab's call was heard: once it waits in line,
      // anything the page did about the other call was sent before.
      const offer = await callSupport();
      await shows('You are number 1 in line');
      expect(requests('cancelCall')).toEqual([]);
      expect(text()).not.toContain(RELOADED_CALL_MESSAGE);
      expect(offer.callId).not.toBe(callId);
    });

    it("never ends the page's own call, even when its place in line arrives before the call was placed", async () => {
      await render();
      const client = TestBed.inject(SignalingClient);
      const requestCall = client.requestCall.bind(client);
      // The server tells the caller its place in line before it answers requestCall.
      spyOn(client, 'requestCall').and.callFake(async () => {
        const placed = await requestCall();
        relay.push('student', 'queueUpdated', { ...placed, position: 2 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        return placed;
      });
      const offer = await callSupport();
      relay.push('student', 'queueUpdated', { callId: offer.callId, position: 4, estimatedWaitSeconds: null });
      await shows('You are number 4 in line');
      // The student's own Cancel call comes after anything the page would have ended by itself.
      await (await button('Cancel call')).click();
      await shows('You left the line.');
      await eventually(fixture, () => requests('cancelCall').length > 0, "the student's cancelCall");
      expect(requests('cancelCall').map((r) => r.payload)).toEqual([{ callId: offer.callId }]);
      expect(text()).not.toContain(RELOADED_CALL_MESSAGE);
    });
  });

  it('puts the call state in one sentence for the live region', () => {
    const base = { position: null, declined: false, media: null, agentName: null, notice: null } as const;
    expect(announce({ ...base, phase: 'idle' })).toBe('');
    expect(announce({ ...base, phase: 'placing' })).toBe('Placing your call…');
    expect(announce({ ...base, phase: 'waiting', position: { callId: 'c', position: 1, estimatedWaitSeconds: null, staffed: false } })).toBe(
      `Waiting for an agent. You are number 1 in line. ${NO_AGENT_ON_DUTY_MESSAGE}`,
    );
    expect(announce({ ...base, phase: 'waiting', declined: true })).toBe('Waiting for an agent. An agent declined your call. You keep your place in line.');
    expect(announce({ ...base, phase: 'talking', media: 'connecting', agentName: 'Alex Agent' })).toBe('Alex Agent answered. Connecting…');
    expect(announce({ ...base, phase: 'talking', media: 'connected', agentName: 'Alex Agent' })).toBe('Connected: you are talking with Alex Agent.');
    expect(announce({ ...base, phase: 'idle', notice: 'You ended the call.' })).toBe('You ended the call.');
  });

  it('describes the estimated wait in words', () => {
    expect(describeWait(null)).toBeNull();
    expect(describeWait(20)).toBe('less than a minute');
    expect(describeWait(80)).toBe('about 1 minute');
    expect(describeWait(240)).toBe('about 4 minutes');
  });
});
