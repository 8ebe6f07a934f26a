import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { TestBed } from '@angular/core/testing';
import { MatMenuHarness } from '@angular/material/menu/testing';
import { MatTableHarness } from '@angular/material/table/testing';
import type { AgentStatus } from '@switchboard/call-domain';
import { SIGNALING_SOCKET_FACTORY, SignalingClient } from '@switchboard/call-domain/signaling';
import { SIGNALING_AUTH } from '@switchboard/call-domain/signaling/auth';
import { FakeRelay } from '@switchboard/call-domain/signaling/testing';
import { answer, to } from '../testing/http-answers';
import { fakeAgent, fakeQueue, fakeQueueReport } from '../testing/supervisor-fakes';
import { LiveBoardPage } from './live-board-page';

describe('LiveBoardPage', () => {
  let backend: HttpTestingController;
  let relay: FakeRelay;

  const agents = [
    fakeAgent({ agentId: 'u-ada', displayName: 'Ada Agent', state: 'available', secondsInState: 65 }),
    fakeAgent({ agentId: 'u-bo', displayName: 'Bo Agent', state: 'missed', secondsInState: 5 }),
    fakeAgent({ agentId: 'u-cy', displayName: 'Cy Agent', state: 'on_call', secondsInState: 125, callId: 'call-9' }),
  ];

  beforeEach(() => {
    relay = new FakeRelay();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: SIGNALING_AUTH, useValue: () => 'supervisor' },
        { provide: SIGNALING_SOCKET_FACTORY, useValue: relay.createSocket },
      ],
    });
    backend = TestBed.inject(HttpTestingController);
  });
  afterEach(() => backend.verify());

  /** Renders the board with the socket connected, having answered its initial reads. */
  async function render() {
    const fixture = TestBed.createComponent(LiveBoardPage);
    await answer(backend, to('/api/agents'), agents);
    await answer(backend, to('/api/queue'), fakeQueueReport());
    // The app connects the socket after sign-in; the board reloads its agents on (re)connection
    // (the queue comes with the server's queueChanged on connection instead).
    TestBed.inject(SignalingClient).connect();
    await answer(backend, to('/api/agents'), agents);
    await fixture.whenStable();
    return { fixture, loader: TestbedHarnessEnvironment.loader(fixture) };
  }

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('shows every agent with state and time in state, calls waiting, longest wait and calls in progress', async () => {
    const { fixture, loader } = await render();
    const rows = await (await loader.getHarness(MatTableHarness)).getCellTextByColumnName();
    expect(rows['displayName'].text).toEqual(['Ada Agent', 'Bo Agent', 'Cy Agent']);
    expect(rows['state'].text.map((s) => s.replace('warning', '').trim())).toEqual(['Available', 'Missed', 'On call']);
    expect(rows['timeInState'].text).toEqual(['01:05', '00:05', '02:05']);
    const queue = (fixture.nativeElement as HTMLElement).querySelector('[aria-label="Queue right now"]')?.textContent ?? '';
    expect(queue).toMatch(/Calls waiting\s*2/);
    expect(queue).toMatch(/Longest current wait\s*00:4[23]/);
    expect(queue).toMatch(/Calls in progress\s*1/);
  });

  it('makes missed agents stand out', async () => {
    const { fixture } = await render();
    const page = fixture.nativeElement as HTMLElement;
    expect(page.querySelector('[role=status]')?.textContent).toContain('1 agent missed a call');
    expect(page.querySelector('tr.missed')?.textContent).toContain('Bo Agent');
  });

  it("shows the latest quality of each call in progress in words, from the snapshot and then callQualityChanged", async () => {
    const latest = { rttMs: 20, jitterMs: 5, lossPercent: 0, mos: 4.42, level: 'good' as const, warnings: [], at: '2026-11-02T09:03:00.000Z' };
    agents[2] = { ...agents[2], callQuality: latest };
    try {
      const { fixture, loader } = await render();
      const table = await loader.getHarness(MatTableHarness);
      expect((await table.getCellTextByColumnName())['callQuality'].text).toEqual(['—', '—', 'Good (MOS 4.4)']);
      relay.push('supervisor', 'callQualityChanged', {
        callId: 'call-9',
        quality: { rttMs: 20, jitterMs: 5, lossPercent: 20, mos: 2.25, level: 'poor', warnings: ['high-packet-loss', 'low-mos'], at: '2026-11-02T09:03:02.000Z' },
      });
      await until(() => ((fixture.nativeElement as HTMLElement).textContent ?? '').includes('Poor (MOS 2.3)'));
      expect((await table.getCellTextByColumnName())['callQuality'].text).toEqual(['—', '—', 'Poor (MOS 2.3): packet loss, low MOS']);
    } finally {
      agents[2] = { ...agents[2], callQuality: undefined };
    }
  });

  it('applies agentStatusChanged from the socket (Ada goes Away) without a REST call', async () => {
    const { fixture, loader } = await render();
    const status: AgentStatus = {
      agentId: 'u-ada',
      displayName: 'Ada Agent',
      state: 'away',
      since: new Date().toISOString(),
      connected: true,
      callId: null,
      wrapUpEndsAt: null,
    };
    relay.push('supervisor', 'agentStatusChanged', status);
    const table = await loader.getHarness(MatTableHarness);
    await until(() => ((fixture.nativeElement as HTMLElement).textContent ?? '').includes('Away'));
    const rows = await table.getCellTextByColumnName();
    expect(rows['state'].text[0]).toBe('Away');
    expect(rows['timeInState'].text[0]).toBe('00:00');
    backend.expectNone(() => true);
  });

  it('shows calls waiting and in progress from queueChanged on the socket, without an HTTP request', async () => {
    const { fixture } = await render();
    const queue = () => (fixture.nativeElement as HTMLElement).querySelector('[aria-label="Queue right now"]')?.textContent ?? '';
    relay.push('supervisor', 'queueChanged', fakeQueue({ callsWaiting: 3, longestWaitSeconds: 75, callsInProgress: 2 }));
    await until(() => /Calls waiting\s*3/.test(queue()));
    await fixture.whenStable();
    expect(queue()).toMatch(/Calls waiting\s*3/);
    expect(queue()).toMatch(/Longest current wait\s*01:1[56]/);
    expect(queue()).toMatch(/Calls in progress\s*2/);
    expect(queue()).withContext('definitions kept from the first read').toContain('Calls queued or ringing right now.');

    // The caller leaves: nobody waits.
    relay.push('supervisor', 'queueChanged', fakeQueue({ callsWaiting: 0, oldestQueuedAt: null, longestWaitSeconds: null, callsInProgress: 2 }));
    await until(() => /Calls waiting\s*0/.test(queue()));
    await fixture.whenStable();
    expect(queue()).toMatch(/Longest current wait\s*—/);
    backend.expectNone(() => true);
  });

  it('keeps the newer figures when an older read arrives late', async () => {
    const { fixture } = await render();
    const queue = () => (fixture.nativeElement as HTMLElement).querySelector('[aria-label="Queue right now"]')?.textContent ?? '';
    relay.push('supervisor', 'queueChanged', fakeQueue({ callsWaiting: 5, generatedAt: new Date(Date.now() + 1000).toISOString() }));
    relay.push('supervisor', 'queueChanged', fakeQueue({ callsWaiting: 4, generatedAt: new Date(Date.now() - 60_000).toISOString() }));
    // Sent after the older read on the same socket: once it shows, the older read was handled.
    const away: AgentStatus = { agentId: 'u-ada', displayName: 'Ada Agent', state: 'away', since: new Date().toISOString(), connected: true, callId: null, wrapUpEndsAt: null };
    relay.push('supervisor', 'agentStatusChanged', away);
    await until(() => ((fixture.nativeElement as HTMLElement).textContent ?? '').includes('Away'));
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).textContent).toContain('Away');
    expect(queue()).toMatch(/Calls waiting\s*5/);
  });

  it('sets an agent Away from the row menu with POST /api/agents/:id/state', async () => {
    const { loader } = await render();
    const menu = await loader.getHarness(MatMenuHarness.with({ selector: '[aria-label="Set state of Ada Agent"]' }));
    await menu.open();
    const items = await menu.getItems();
    expect(await Promise.all(items.map((i) => i.getText()))).toEqual(['Set Away', 'Set Offline', 'Sign out everywhere']);
    const clicked = items[0].click();
    const [post] = await answer(backend, to('/api/agents/u-ada/state', 'POST'), null);
    await clicked;
    expect(post.request.body).toEqual({ state: 'away' });
  });

  it('signs an agent out everywhere from the row menu with POST /api/users/:id/sign-out, and says so', async () => {
    const { fixture, loader } = await render();
    const menu = await loader.getHarness(MatMenuHarness.with({ selector: '[aria-label="Set state of Bo Agent"]' }));
    await menu.open();
    const clicked = (await menu.getItems({ text: 'Sign out everywhere' }))[0].click();
    await answer(backend, to('/api/users/u-bo/sign-out', 'POST'), null);
    await clicked;
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('[role="status"].done')?.textContent).toContain('Bo Agent was signed out everywhere.');
  });
});
