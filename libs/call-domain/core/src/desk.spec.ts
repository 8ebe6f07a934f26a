import { handleFigures } from './desk';

describe('handleFigures', () => {
  it('counts answered calls only, with AHT as the mean of talk + wrap-up', () => {
    expect(
      handleFigures([
        { outcome: 'answered', talkSeconds: 100, wrapUpSeconds: 20 },
        { outcome: 'answered', talkSeconds: 200, wrapUpSeconds: null },
        { outcome: 'failed', talkSeconds: 0, wrapUpSeconds: 60 },
        { outcome: 'abandoned', talkSeconds: null, wrapUpSeconds: null },
      ]),
    ).toEqual({ handled: 2, averageHandleSeconds: 160 });
  });

  it('has no AHT without an answered call', () => {
    expect(handleFigures([{ outcome: 'failed', talkSeconds: null, wrapUpSeconds: 30 }])).toEqual({ handled: 0, averageHandleSeconds: null });
  });
});
