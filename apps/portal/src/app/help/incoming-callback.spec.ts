import { TestbedHarnessEnvironment } from '@angular/cdk/testing/testbed';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { CallbackCall } from '@switchboard/call-domain';
import type { CallSession, CallSessionState } from '@switchboard/call-domain/signaling';
import { IncomingCallback, StudentCallback } from './incoming-callback';
import { IncomingCallbackHarness } from './testing/incoming-callback-harness';

/** The parts of `StudentCallback` the component reads, as plain signals the test sets. */
function fakeCallback() {
  return {
    ringing: signal<CallbackCall | null>(null),
    session: signal<CallSession | null>(null),
    answering: signal(false),
    notice: signal<string | null>(null),
    accept: jasmine.createSpy('accept').and.resolveTo(),
    decline: jasmine.createSpy('decline').and.resolveTo(),
    hangUp: jasmine.createSpy('hangUp'),
    setMuted: jasmine.createSpy('setMuted'),
  };
}

/** A session's signals as the call panel reads them. */
function fakeSession(state: CallSessionState): CallSession {
  return { callId: 'call-1', peer: signal({ id: 'a-1', displayName: 'Alex Agent' }), state: signal(state), muted: signal(false), remoteStream: signal(null), quality: signal(null) } as unknown as CallSession;
}

const RING: CallbackCall = {
  callId: 'call-1',
  callbackId: 'cb-1',
  agent: { id: 'a-1', displayName: 'Alex Agent' },
  student: { id: 's-1', displayName: 'Sam Student' },
  ringsOutAt: '2026-12-04T10:00:20.000Z',
};

describe('IncomingCallback', () => {
  let fixture: ComponentFixture<IncomingCallback>;
  let callback: ReturnType<typeof fakeCallback>;

  async function render(): Promise<IncomingCallbackHarness> {
    callback = fakeCallback();
    TestBed.configureTestingModule({ providers: [{ provide: StudentCallback, useValue: callback }] });
    fixture = TestBed.createComponent(IncomingCallback);
    return TestbedHarnessEnvironment.harnessForFixture(fixture, IncomingCallbackHarness);
  }

  it('shows nothing without a callback, then rings with Accept and Decline', async () => {
    const incoming = await render();
    expect(await incoming.isRinging()).toBeFalse();
    expect(await incoming.getCallPanel()).toBeNull();
    callback.ringing.set(RING);
    expect(await incoming.isRinging()).toBeTrue();
    expect(await incoming.getPromptText()).toContain('The help desk is calling you back');
    expect(await incoming.getPromptText()).toContain('Alex Agent is calling about your callback request.');
    await incoming.accept();
    expect(callback.accept).toHaveBeenCalledTimes(1);
    await incoming.decline();
    expect(callback.decline).toHaveBeenCalledTimes(1);
  });

  it('shows the callback in the call panel once accepted, with hang-up, then how it ended', async () => {
    const incoming = await render();
    callback.session.set(fakeSession('connecting'));
    const panel = await incoming.getCallPanel();
    expect(await panel?.getPeerName()).toBe('Alex Agent');
    expect(await panel?.getStatusText()).toContain('Connecting');
    await panel?.hangUp();
    expect(callback.hangUp).toHaveBeenCalledTimes(1);
    callback.session.set(null);
    callback.notice.set('The call with the help desk has ended.');
    expect(await incoming.getNotice()).toBe('The call with the help desk has ended.');
  });
});
