/**
 * A compiled PostgreSQL statement with its `$n` parameters written into the text as literals,
 * for the statements that take none (`COPY (SELECT …) TO STDOUT`). Strings become `E'…'` with
 * backslashes and quotes escaped (whatever `standard_conforming_strings` says), finite numbers
 * and bigints their digits (in parentheses), booleans and null their keywords. `$n` inside a
 * quoted literal or identifier is left alone. Returns undefined for a value it cannot write
 * (an array, an object, a string holding NUL) or a placeholder without a value: the caller
 * then runs the statement with parameters.
 */
export function inlinePostgresParameters(text: string, parameters: readonly unknown[]): string | undefined {
  const literals: string[] = [];
  for (const value of parameters) {
    const literal = postgresLiteral(value);
    if (literal === undefined) return undefined;
    literals.push(literal);
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      // A quoted literal or identifier, its quote doubled inside (E'…' strings: Kysely writes none).
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '$' && /[0-9]/.test(text[i + 1] ?? '')) {
      let j = i + 1;
      while (/[0-9]/.test(text[j] ?? '')) j++;
      const literal = literals[Number(text.slice(i + 1, j)) - 1];
      if (literal === undefined) return undefined;
      out += literal;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function postgresLiteral(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return `(${value.toString()})`;
  if (typeof value === 'number') return Number.isFinite(value) ? `(${String(value)})` : undefined;
  if (typeof value === 'string') return value.includes('\u0000') ? undefined : `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return undefined;
}
