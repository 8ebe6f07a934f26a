import type { SignalMessage } from '@switchboard/call-domain';
import { NEVER, type Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { callSignals } from './call-signals';

const offer = (callId: string, messageId: string, negotiationId?: string): SignalMessage => ({
  kind: 'offer',
  callId,
  messageId,
  ...(negotiationId ? { negotiationId } : {}),
  description: { type: 'offer', sdp: `offer ${messageId}` },
});
const answer = (callId: string, messageId: string, negotiationId?: string): SignalMessage => ({
  kind: 'answer',
  callId,
  messageId,
  ...(negotiationId ? { negotiationId } : {}),
  description: { type: 'answer', sdp: `answer ${messageId}` },
});
const candidate = (callId: string, messageId: string, negotiationId?: string): SignalMessage => ({
  kind: 'candidate',
  callId,
  messageId,
  ...(negotiationId ? { negotiationId } : {}),
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

  it('caller: after a provisional answer, passes the accepted agent\'s answer of the negotiation once, and drops other provisional ones', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const early = (messageId: string): SignalMessage => ({ ...answer('A', messageId, 'n1'), provisional: true }) as SignalMessage;
      const values = { p: early('p'), q: early('q'), a: answer('A', 'a', 'n1'), b: answer('A', 'b', 'n1') };
      const messages = hot('--p-q-a-b--', values);
      const started = hot('-n---------', { n: 'n1' });
      const result = callSignals(messages, { callId: 'A', awaits: 'answer', accepted$: hot('x'), ended$: hot('-'), negotiationStarted$: started });
      expectObservable(result).toBe('--p---a----', values);
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

  describe('fenced by negotiation', () => {
    // Negotiations n1 and n2 of call A; the agent side waits for offers.
    const values = {
      o: offer('A', 'o', 'n1'),
      c: candidate('A', 'c', 'n1'),
      d: candidate('A', 'd', 'n1'),
      p: offer('A', 'p', 'n2'),
      e: candidate('A', 'e', 'n2'),
      f: candidate('A', 'f', 'n2'),
      q: offer('A', 'q', 'n1'),
      u: candidate('A', 'u'),
    };
    const agentSide = (messages: Observable<SignalMessage>, accepted: Observable<unknown>) =>
      callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: accepted, ended$: NEVER });

    it("replaces a held negotiation with a newer one's offer: only the newer is released on accept", () => {
      scheduler.run(({ hot, expectObservable }) => {
        const messages = hot('-o-c-e-p-f-d---', values);
        const accepted = hot('-----------x---');
        expectObservable(agentSide(messages, accepted)).toBe('-----------(pef)', values);
      });
    });

    it('passes a replacement offer after accept and drops late messages of the negotiation it replaced', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const messages = hot('-o-c-p-d-e-q-', values);
        expectObservable(agentSide(messages, of(true))).toBe('-o-c-p---e---', values);
      });
    });

    it("holds a newer negotiation's candidates that overtook its offer, and adds them after it in order", () => {
      scheduler.run(({ hot, expectObservable }) => {
        const messages = hot('-o-e-c-f-p-', values);
        expectObservable(agentSide(messages, of(true))).toBe('-o---c---(pef)', values);
      });
    });

    it('treats messages without a negotiation id as the current negotiation', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const unlabelled = { ...values, v: candidate('A', 'v') };
        expectObservable(agentSide(hot('-u-o-----p-v-', unlabelled), of(true))).toBe('---(ou)--p-v-', unlabelled);
      });
    });

    it('drops a repeated offer of the current negotiation under a new message id', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const repeated = { ...values, r: offer('A', 'r', 'n1') };
        expectObservable(agentSide(hot('-o-r-c-', repeated), of(true))).toBe('-o---c-', repeated);
      });
    });

    it("lets the offering side's own new negotiation fence out the answer and candidates of the one before", () => {
      scheduler.run(({ hot, expectObservable }) => {
        const caller = {
          a: answer('A', 'a', 'n1'),
          c: candidate('A', 'c', 'n1'),
          e: candidate('A', 'e', 'n2'),
          b: answer('A', 'b', 'n2'),
          d: candidate('A', 'd', 'n1'),
          x: answer('A', 'x', 'n9'),
        };
        const started = hot('1-----2-------', { 1: 'n1', 2: 'n2' });
        const messages = hot('-x-a-c--d-e-b-', caller);
        const result = callSignals(messages, { callId: 'A', awaits: 'answer', accepted$: of(true), ended$: NEVER, negotiationStarted$: started });
        expectObservable(result).toBe('---a-c------(be)', caller);
      });
    });

    it('discards every negotiation held when the call ends before it is accepted', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const messages = hot('-o-c-p-e---f-', values);
        const result = callSignals(messages, { callId: 'A', awaits: 'offer', accepted$: hot('---------x-'), ended$: hot('-------x---') });
        expectObservable(result).toBe('-------|', values);
      });
    });
  });
});
