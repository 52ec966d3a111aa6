/**
 * JSON text from outside, read strictly: `JSON.parse`, and a member name given twice in one object
 * is `Malformed` (docs/protocol.md §Duplicate member names).
 *
 * RFC 8259 only says names SHOULD be unique, and parsers disagree about a repeated one: JavaScript
 * keeps the last, others keep the first or refuse. Two readers of one signed text could then see
 * two different values — an envelope with a junk `sig` before the real one, a backup with `iter`
 * twice — so every format of the protocol refuses them outright.
 *
 * The check is a scan after `JSON.parse` has accepted the text, not a second parser: strings are
 * skipped with `indexOf` (native code, which matters on an interpreter without JIT, where most of
 * an envelope's characters are base64url inside strings), and only the characters between them
 * are stepped through. A name with an escape is decoded before comparing, so `"a"` and `"\u0061"`
 * are the same name.
 */
import { MifengError } from './errors';
import { astring } from './guards';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** The index of the quote that closes the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    // An even run of backslashes escapes itself, not the quote.
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/**
 * The first member name that appears twice in one object of `text`, or undefined. `text` must be
 * JSON that `JSON.parse` accepts; on anything else the answer means nothing.
 */
export function duplicateMemberName(text: string): string | undefined {
  // The names seen in each open object, innermost last; null for an open array.
  const stack: (Set<string> | null)[] = [];
  let names: Set<string> | null = null;
  let expectName = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectName && names !== null) {
        const raw = text.slice(i + 1, end);
        const name = raw.indexOf('\\') < 0 ? raw : (JSON.parse(text.slice(i, end + 1)) as string);
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE) {
      stack.push(names);
      names = new Set();
      expectName = true;
    } else if (c === OPEN_BRACKET) {
      stack.push(names);
      names = null;
      expectName = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      names = stack.pop() ?? null;
      expectName = false;
    } else if (c === COMMA) {
      expectName = names !== null;
    }
    i++;
  }
  return undefined;
}

/**
 * `JSON.parse(text)`, refusing what it would silently accept: a member name twice in one object.
 * `Malformed` (naming `label`) for text that is not JSON or repeats a name.
 */
export function parseJson(text: string, label: string): unknown {
  astring(text, label);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MifengError('Malformed', `${label} is not JSON`);
  }
  assertUniqueMembers(text, value, label);
  return value;
}

/**
 * For text `JSON.parse` already accepted as `value`: `Malformed` (naming `label`) when one of its
 * objects names a member twice. For readers that parse with something else first (Fastify's body
 * parser, an answer that may also be plain text).
 */
export function assertUniqueMembers(text: string, value: unknown, label: string): void {
  // Only objects can repeat a name; a scalar's text has no brace outside a string.
  if (typeof value !== 'object' || value === null) return;
  const name = duplicateMemberName(text);
  if (name !== undefined) {
    throw new MifengError('Malformed', `${label} has the member ${JSON.stringify(name)} more than once`);
  }
}
