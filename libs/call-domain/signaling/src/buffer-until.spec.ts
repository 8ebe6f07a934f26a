import { NEVER, Subject, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferUntil } from './buffer-until';

describe('bufferUntil', () => {
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('holds values until the notifier emits, then flushes them in order and passes the rest', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-b--------c-d-|');
      const notifier = hot('-----x-----');
      expectObservable(source.pipe(bufferUntil(notifier))).toBe('-----(ab)---c-d-|');
    });
  });

  it('passes everything through when the notifier has already emitted', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-|').pipe(bufferUntil(of(true)))).toBe('-a-b-|');
    });
  });

  it('only listens to the notifier until its first emission', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const notifier = hot('--x--y--');
      expectObservable(hot('-a---b--').pipe(bufferUntil(notifier))).toBe('--a--b--');
      expectSubscriptions(notifier.subscriptions).toBe('^-!');
    });
  });

  it('discards the held values and completes when the notifier completes without emitting', () => {
    scheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-----c-');
      const notifier = cold('----|');
      expectObservable(source.pipe(bufferUntil(notifier))).toBe('----|');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('completes after the flush when the source completed while holding', () => {
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-|').pipe(bufferUntil(hot('-----x')))).toBe('-----(a|)');
    });
  });

  it('propagates errors of the source and of the notifier', () => {
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot('-a-#').pipe(bufferUntil(NEVER))).toBe('---#');
      expectObservable(hot('-a---').pipe(bufferUntil(hot('--#')))).toBe('--#');
    });
  });

  it('unsubscribes from both and drops the held values when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b----');
      const notifier = hot('------x-');
      expectObservable(source.pipe(bufferUntil(notifier)), '^---!').toBe('--------');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(notifier.subscriptions).toBe('^---!');
    });
  });

  it('lets a value that replaces what it holds discard the values held before it', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-b-R-c-----R-d-');
      const notifier = hot('---------x-------');
      expectObservable(source.pipe(bufferUntil(notifier, (value) => value === 'R'))).toBe('---------(Rc)R-d-');
    });
  });

  it('emits nothing held from before a resubscription', () => {
    const source = new Subject<string>();
    const notifier = new Subject<void>();
    const seen: string[] = [];
    const first = source.pipe(bufferUntil(notifier)).subscribe((v) => seen.push(v));
    source.next('stale');
    first.unsubscribe();
    source.pipe(bufferUntil(notifier)).subscribe((v) => seen.push(v));
    source.next('fresh');
    notifier.next();
    expect(seen).toEqual(['fresh']);
  });
});
