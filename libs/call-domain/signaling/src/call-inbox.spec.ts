import type { SignalMessage } from '@switchboard/call-domain';
import { Subject } from 'rxjs';
import { CallInboxes } from './call-inbox';

const offer = (callId: string, messageId = `${callId}-offer`): SignalMessage => ({
  kind: 'offer',
  callId,
  messageId,
  description: { type: 'offer', sdp: `sdp of ${callId}` },
});

describe('CallInboxes', () => {
  let signals: Subject<SignalMessage>;
  let offered: Subject<string>;
  let closed: Subject<string>;
  let inboxes: CallInboxes;

  beforeEach(() => {
    signals = new Subject();
    offered = new Subject();
    closed = new Subject();
    inboxes = new CallInboxes(signals, offered, closed);
  });

  afterEach(() => inboxes.dispose());

  it('keeps what arrived for an offered call until it is accepted', () => {
    offered.next('A');
    signals.next(offer('A'));
    const inbox = inboxes.open('A', 'offer');
    const seen: SignalMessage[] = [];
    inbox?.messages$.subscribe((m) => seen.push(m));
    expect(seen).toEqual([]);
    inbox?.accept();
    expect(seen).toEqual([offer('A')]);
  });

  it('keeps a message that overtook its call offer', () => {
    signals.next(offer('A'));
    offered.next('A');
    const inbox = inboxes.open('A', 'offer');
    const seen: SignalMessage[] = [];
    inbox?.messages$.subscribe((m) => seen.push(m));
    inbox?.accept();
    expect(seen).toEqual([offer('A')]);
  });

  it('drops a withdrawn call and its late messages, and never reopens it', () => {
    offered.next('A');
    signals.next(offer('A'));
    closed.next('A');
    signals.next(offer('A', 'late'));
    expect(inboxes.open('A', 'offer')).toBeNull();
  });

  it('gives each call only its own messages', () => {
    offered.next('A');
    offered.next('B');
    signals.next(offer('A'));
    signals.next(offer('B'));
    const inbox = inboxes.open('B', 'offer');
    const seen: SignalMessage[] = [];
    inbox?.messages$.subscribe((m) => seen.push(m));
    inbox?.accept();
    expect(seen).toEqual([offer('B')]);
  });

  it('treats a call whose inbox its session closed as over', () => {
    offered.next('A');
    inboxes.open('A', 'offer')?.close();
    signals.next(offer('A'));
    expect(inboxes.open('A', 'offer')).toBeNull();
  });

  it('opens a fresh inbox when the server offers a closed call again (it came back after a decline)', () => {
    offered.next('A');
    signals.next(offer('A'));
    closed.next('A');
    signals.next(offer('A', 'while-closed'));
    offered.next('A');
    signals.next(offer('A', 'offered-again'));
    const inbox = inboxes.open('A', 'offer');
    const seen: SignalMessage[] = [];
    inbox?.messages$.subscribe((m) => seen.push(m));
    inbox?.accept();
    expect(seen).toEqual([offer('A', 'offered-again')]);
  });
});
