/**
 * Text neither database can store as sent: NUL (PostgreSQL refuses it in `text`; SQLite would
 * keep it and cut it short elsewhere), and UTF-16 surrogates without their pair (not valid
 * Unicode: both databases would store a replacement character instead). Refused at the edge,
 * so SQLite and PostgreSQL give the same answer.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isUnstorable(text: string): boolean {
  return text.includes('\u0000') || LONE_SURROGATE.test(text);
}

/** What a refusal of {@link findUnstorableText}'s finding says. */
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** How deep {@link findUnstorableText} looks: deeper input is refused by the payload schemas anyway. */
const MAX_DEPTH = 16;

/**
 * The path (`notes`, `filters.0`, `` for the value itself) of the first string — value or
 * object key — in `value` that holds text no database can store, or null when there is none.
 * Run it on whole request bodies, query strings, path parameters and socket payloads before
 * their schemas.
 */
export function findUnstorableText(value: unknown, path: readonly string[] = [], depth = 0): string | null {
  if (typeof value === 'string') return isUnstorable(value) ? path.join('.') : null;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return null;
  for (const [key, inner] of Object.entries(value)) {
    const at = [...path, key];
    if (isUnstorable(key)) return at.join('.');
    const found = findUnstorableText(inner, at, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
