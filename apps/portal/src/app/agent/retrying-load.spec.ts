import { NEVER, type Observable, defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { LOADING, RETRYING, type Load, retryingLoad } from './retrying-load';

describe('retryingLoad', () => {
  let scheduler: TestScheduler;
  const values: Record<string, Load<string>> = {
    l: LOADING,
    r: RETRYING,
    v: { state: 'loaded', value: 'a' },
    f: { state: 'failed', retryInSeconds: 2 },
    g: { state: 'failed', retryInSeconds: 5 },
  };

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A request that answers with each of `outcomes` in turn, one per try. */
  function tries(outcomes: Observable<string>[]): Observable<string> {
    let tried = 0;
    return defer(() => outcomes[tried++]);
  }

  it('says loading, then loaded, and completes', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(retryingLoad(cold('--a|'), NEVER)).toBe('l-(v|)', values);
    });
  });

  it('after each failure says when it tries again, waits 2 s, then 5 s, then 5 s again, and says it is trying again', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const request = tries([cold('-#'), cold('-#'), cold('-#'), cold('-a|')]);
      expectObservable(retryingLoad(request, NEVER, [2, 5])).toBe('lf 1999ms rg 4999ms rg 4999ms r(v|)', values);
    });
  });

  it('tries again at once when asked, and forgets the timer it was waiting on', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const request = tries([cold('-#'), cold('-a|')]);
      expectObservable(retryingLoad(request, hot('-----x'), [2])).toBe('lf---r(v|)', values);
    });
  });

  it('ignores a request to try again while a try is on its way', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      expectObservable(retryingLoad(cold('----a|'), hot('-x-x'))).toBe('l---(v|)', values);
    });
  });
});
