import { inlinePostgresParameters } from './inline-parameters';

describe('inlinePostgresParameters', () => {
  it('writes each $n as a literal: strings escaped, numbers in parentheses, null and booleans as keywords', () => {
    expect(inlinePostgresParameters('select * from t where a = $1 and b > $2 and c is $3 and d = $4 and e in ($5, $6) limit $7', ["O'Brien \\ co", -1.5, null, true, 'é', '', 10n])).toBe(
      "select * from t where a = E'O\\'Brien \\\\ co' and b > (-1.5) and c is NULL and d = TRUE and e in (E'é', E'') limit (10)",
    );
  });

  it('tells $1 from $10 and leaves $n inside quoted literals and identifiers alone', () => {
    const parameters = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlinePostgresParameters(`select "a$1", 'it''s $2' from t where x = $1 and y = $10`, parameters)).toBe(`select "a$1", 'it''s $2' from t where x = (1) and y = (10)`);
  });

  it('gives up (undefined) on what it cannot write as a literal, or a placeholder without a value', () => {
    expect(inlinePostgresParameters('select $1', [[1, 2]])).toBeUndefined();
    expect(inlinePostgresParameters('select $1', [{ a: 1 }])).toBeUndefined();
    expect(inlinePostgresParameters('select $1', [Number.NaN])).toBeUndefined();
    expect(inlinePostgresParameters('select $1', ['nul\u0000'])).toBeUndefined();
    expect(inlinePostgresParameters('select $2', [1])).toBeUndefined();
  });
});
