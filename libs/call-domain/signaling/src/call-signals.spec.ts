import type { SignalMessage } from '@switchboard/call-domain';
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { callSignals } from './call-signals';

const offer = (callId: string, messageId: string): SignalMessage => ({
  kind: 'offer',
  callId,
  messageId,
  description: { type: 'offer', sdp: `offer ${messageId}` },
});
const answer = (callId: string, messageId: string): SignalMessage => ({
  kind: 'answer',
  callId,
  messageId,
  description: { type: 'answer', sdp: `answer ${messageId}` },
});
const candidate = (callId: string, messageId: string): SignalMessage => ({
  kind: 'candidate',
  callId,
  messageId,
  candidate: { candidate: `candidate ${messageId}`, sdpMid: '0', sdpMLineIndex: 0 },
});

describe('callSignals', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("holds one call's offer and candidates until that call is accepted, then passes later ones", () => {
    scheduler.run(({ hot, expectObservable }) => {
      const messages = hot('-o-c-d------e--', { o: offer('A', 'o'), c: candidate('A', 'c'), d: candidate('A', 'd'), e: candidate('A', 'e') });
      const accepted = hot('-------x-------');
      const result = callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: accepted, ended$: hot('-') });
      expectObservable(result).toBe('-------(ocd)e--', { o: offer('A', 'o'), c: candidate('A', 'c'), d: candidate('A', 'd'), e: candidate('A', 'e') });
    });
  });

  it('keeps two interleaved calls apart, each released by its own accept', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { a: offer('A', 'a1'), b: offer('B', 'b1'), c: candidate('A', 'a2'), d: candidate('B', 'b2') };
      const messages = hot('-a-b-c-d------', values);
      const acceptedA = hot('----------x---');
      const acceptedB = hot('--------x-----');
      const ended = hot('-');
      expectObservable(callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: acceptedA, ended$: ended })).toBe(
        '----------(ac)',
        values,
      );
      expectObservable(callSignals(messages, { callId: 'B', awaits: 'offer', accepted$: acceptedB, ended$: ended })).toBe(
        '--------(bd)--',
        values,
      );
    });
  });

  it('drops repeated messages (same messageId) and second descriptions', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { o: offer('A', 'o'), c: candidate('A', 'c'), p: offer('A', 'o2') };
      const messages = hot('-o-o-c-c-p-o-', values);
      const result = callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: of(true), ended$: hot('-') });
      expectObservable(result).toBe('-o---c-------', values);
    });
  });

  it('puts candidates that came before the offer right after it, in arrival order', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { c: candidate('A', 'c'), d: candidate('A', 'd'), o: offer('A', 'o'), e: candidate('A', 'e') };
      const messages = hot('-c-d-----o-----e-', values);
      const accepted = hot('---x---------');
      const result = callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: accepted, ended$: hot('-') });
      expectObservable(result).toBe('---------(ocd)-e-', values);
    });
  });

  it("lets the caller wait for the answer and ignore offers (the other side's kind)", () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { c: candidate('A', 'c'), o: offer('A', 'o'), a: answer('A', 'a') };
      const messages = hot('-c-o-a-', values);
      const result = callSignals(messages, { callId: 'A', awaits: 'answer', accepted$: of(true), ended$: hot('-') });
      expectObservable(result).toBe('-----(ac)', values);
    });
  });

  it('completes and discards what it held when the call ends before being accepted', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const messages = hot('-o-c-----c-', { o: offer('A', 'o'), c: candidate('A', 'c') });
      const accepted = hot('-------x---');
      const ended = hot('-----x-----');
      expectObservable(callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: accepted, ended$: ended })).toBe('-----|');
      expectSubscriptions(messages.subscriptions).toBe('^----!');
    });
  });

  it('completes and discards when the accept notifier completes without emitting (declined)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const messages = hot('-o-c----', { o: offer('A', 'o'), c: candidate('A', 'c') });
      expectObservable(callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: hot('----|'), ended$: hot('-') })).toBe(
        '----|',
      );
    });
  });
});
