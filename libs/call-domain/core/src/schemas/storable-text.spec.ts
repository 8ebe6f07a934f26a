import { findUnstorableText } from './storable-text';

describe('findUnstorableText', () => {
  it('finds NUL and unpaired surrogates, in values and keys, at any depth, and names where', () => {
    expect(findUnstorableText('stu\u0000dent')).toBe('');
    expect(findUnstorableText({ username: 'a', password: 'b\u0000' })).toBe('password');
    expect(findUnstorableText({ callId: 'x', notes: ['ok', 'lone \uD800 high'] })).toBe('notes.1');
    expect(findUnstorableText({ a: { b: 'lone \uDC00 low' } })).toBe('a.b');
    expect(findUnstorableText({ ['k\u0000']: 'v' })).toBe('k\u0000');
    expect(findUnstorableText('ends high \uD83D')).toBe('');
  });

  it('lets every other text through: emoji (paired surrogates), accents, control characters a database keeps', () => {
    for (const ok of ['Zoë 😀', 'tab\tand\nnewline', '＝ full width', '\u0001', '', 'plain']) {
      expect(findUnstorableText({ note: ok })).withContext(JSON.stringify(ok)).toBeNull();
    }
    expect(findUnstorableText(42)).toBeNull();
    expect(findUnstorableText(null)).toBeNull();
    expect(findUnstorableText(undefined)).toBeNull();
  });
});
