import { Browser, BrowserContext, Page } from 'playwright-core';
import type { CallbackRecord, CallDetail } from '@switchboard/call-domain';
import { apiGet, latestCall } from './support/api';
import { AppServer, startAppServer } from './support/app-server';
import { energyGrowth, inboundAudio, trackPeerConnections } from './support/audio-stats';
import { launchChromium, signIn } from './support/browser';
import { atPath, eventually, hidden, visible } from './support/wait';

// An agent calls a student back: the student's unanswered call leaves a callback request; the
// agent takes it and clicks Call; the student's help page rings ("The help desk is calling you
// back"), holding the agent's early offer until Accept; the call connects with audio both ways.
describe('a callback from the agent desk to the help page', () => {
  let app: AppServer;
  let browser: Browser;
  let student: { context: BrowserContext; page: Page };
  let agent: { context: BrowserContext; page: Page };

  beforeAll(async () => {
    app = await startAppServer({ MAX_WAIT_SECONDS: '2', LOG_LEVEL: 'warn' });
    browser = await launchChromium();
    student = await signIn(browser, app.baseUrl, 'student', trackPeerConnections);
    agent = await signIn(browser, app.baseUrl, 'agent', trackPeerConnections);
    await atPath(student.page, /^\/help$/);
    await atPath(agent.page, /^\/agent$/);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('takes the request, calls the student, who accepts after 1.5 s of ringing: audio both ways, resumed after either page reloads, hang-up, the request records it', async () => {
    // A call nobody answers: the agent declines it, and it waits out the maximum wait.
    await agent.page.getByRole('button', { name: 'Available', exact: true }).click();
    await student.page.getByRole('button', { name: 'Call support' }).click();
    const incoming = agent.page.getByRole('dialog', { name: /Incoming call/ });
    await visible(incoming, 5_000);
    await incoming.getByRole('button', { name: 'Decline' }).click();
    await student.page.getByLabel('Note for the help desk').fill('Please call me about my enrolment');
    await student.page.getByRole('button', { name: 'Request callback' }).click();
    await visible(student.page.getByText('Thanks — the help desk will call you back.'), 5_000);

    const request = agent.page.getByRole('article', { name: 'Callback request from Sam Student' });
    await visible(request, 5_000);
    await request.getByRole('button', { name: 'Take' }).click();
    const callButton = request.getByRole('button', { name: 'Call', exact: true });
    await eventually(() => callButton.isEnabled(), (enabled) => enabled, 5_000, 'Call enabled (student signed in)');
    await callButton.click();

    const prompt = student.page.getByRole('alertdialog', { name: 'The help desk is calling you back' });
    await visible(prompt, 5_000);
    expect(await prompt.textContent()).toContain('Alex Agent');
    await student.page.waitForTimeout(1_500); // the agent's offer and candidates wait in the student's inbox
    await prompt.getByRole('button', { name: 'Accept' }).click();

    for (const side of [agent.page, student.page]) {
      await hidden(side.getByText('Connecting…'), 10_000);
      await visible(side.getByRole('timer'));
    }
    for (const side of [agent.page, student.page]) {
      await eventually(async () => (await inboundAudio(side)).audioLevel, (level) => level > 0, 10_000, 'inbound audio level > 0');
      expect(await energyGrowth(side)).toBeGreaterThan(0);
    }

    // The agent's page reloads mid-call (its side offers again from a new peer connection), then
    // the student's (its side answers again; the agent's page is told to offer anew): the same
    // call each time, audio both ways again within 5 s.
    for (const side of [agent, student]) {
      const reloadedAt = Date.now();
      await side.page.reload();
      for (const page of [agent.page, student.page]) {
        await visible(page.getByRole('timer'), 10_000);
        await hidden(page.getByText(/^(Connecting|Reconnecting)…$/), 10_000);
      }
      for (const page of [agent.page, student.page]) await eventually(() => energyGrowth(page, 500), (growth) => growth > 0, 5_000, 'audio both ways after the reload');
      expect(Date.now() - reloadedAt).toBeLessThan(5_000 + 2 * 500 + 1_000); // two energy windows and the checks' own time
    }
    const resumed = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${(await latestCall(app.baseUrl)).id}`);
    expect(resumed.outcome).toBeNull();
    expect(resumed.timeline.filter((e) => e.type === 'resumed').map((e) => e.actorName)).toEqual(['Alex Agent', 'Sam Student']);

    await agent.page.getByRole('button', { name: 'Hang up' }).click();
    await visible(student.page.getByText('The call with the help desk has ended.'), 5_000);
    const done = agent.page.getByRole('button', { name: 'Done', exact: true });
    await visible(done, 5_000);
    await done.click();

    const call = await latestCall(app.baseUrl);
    const detail = await apiGet<CallDetail>(app.baseUrl, `/api/calls/${call.id}`);
    expect(detail).toEqual(jasmine.objectContaining({ direction: 'outbound', outcome: 'answered', callerName: 'Sam Student', agentName: 'Alex Agent' }));
    const record = await apiGet<CallbackRecord>(app.baseUrl, `/api/callbacks/${detail.callbackId}`);
    expect(record.life.map((e) => e.type)).toEqual(['requested', 'taken', 'call_placed']);
    expect(record.life[2]).toEqual(jasmine.objectContaining({ callId: call.id, callOutcome: 'answered', actorName: 'Alex Agent' }));
    expect(call.id).toBe(resumed.id);
  }, 90_000);
});
