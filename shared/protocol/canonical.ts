/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON value that envelope
 * AAD and signatures are computed over.
 *
 * - Object members are sorted by their names compared as arrays of UTF-16 code units (§3.2.3),
 *   which is what JavaScript's `<` on strings does.
 * - Numbers are written as ECMAScript's Number.prototype.toString writes them (§3.2.2.3); -0 is 0.
 * - Strings are escaped exactly as JSON.stringify escapes them (§3.2.2.2).
 * - No whitespace.
 *
 * Only I-JSON values are accepted (RFC 7493, as §3.1 requires): anything else throws instead of
 * being silently dropped or converted the way JSON.stringify would — TypeError for `undefined`,
 * functions, symbols, bigints, non-plain objects (Date, Map, class instances, objects with
 * toJSON) and cycles; RangeError for NaN/±Infinity and for strings with lone surrogates.
 */
import { isWellFormedUnicode } from '../encoding';
import { isPlainRecord } from '../guards';

function serializeString(text: string): string {
  if (!isWellFormedUnicode(text)) throw new RangeError('strings must not contain lone surrogates');
  return JSON.stringify(text);
}

function serialize(value: unknown, path: object[]): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case 'string':
      return serializeString(value);
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
  if (path.includes(value)) throw new TypeError('cyclic structure');
  path.push(value);
  let out: string;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(serialize(value[i], path));
    out = `[${items.join(',')}]`;
  } else if (isPlainRecord(value)) {
    const names = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const members: string[] = [];
    for (const name of names) members.push(`${serializeString(name)}:${serialize(value[name], path)}`);
    out = `{${members.join(',')}}`;
  } else {
    throw new TypeError('only plain objects and arrays can be canonicalized');
  }
  path.pop();
  return out;
}

/** The RFC 8785 canonical JSON text of `value`. */
export function canonicalize(value: unknown): string {
  return serialize(value, []);
}
