/**
 * Text encodings of protocol v1: base64url (RFC 4648 §5, no padding) and UTF-8 (RFC 3629).
 *
 * Written by hand because WeChat's JavaScript runtime has no TextEncoder/TextDecoder, atob/btoa or
 * Buffer. Both decoders are strict, so that every byte string has exactly one accepted text form
 * and a signed envelope cannot be re-spelled without breaking its signature:
 * - base64url: alphabet `A–Z a–z 0–9 - _` only; no `=` padding, whitespace or standard-base64
 *   `+ /`; a length of 1 mod 4 is impossible; the unused low bits of the last character must be 0.
 * - UTF-8: overlong forms, UTF-16 surrogates (U+D800–U+DFFF), code points above U+10FFFF and
 *   truncated or stray continuation bytes are rejected (the WHATWG "fatal" decoder's behavior).
 *   The encoder rejects strings with lone surrogates instead of replacing them with U+FFFD.
 * Malformed input throws `MifengError('Malformed')`; a value of the wrong type throws TypeError.
 */
import { MifengError } from './errors';
import { abytes, astring } from './guards';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Character code → 6-bit value, or -1 outside the base64url alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Whole-string checks for the common cases, run by the regular-expression engine: without a JIT
 * (iOS WeChat) it scans a string several times faster than a loop of charCodeAt, and the signed
 * bytes of an envelope are several KB of ASCII. Without the u flag both match UTF-16 code units.
 */
const ASCII_ONLY = /^[\0-\x7f]*$/;
const SURROGATE = /[\ud800-\udfff]/;
const BASE64URL_ONLY = /^[A-Za-z0-9_-]*$/;

/** The character codes of ALPHABET. */
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** String.fromCharCode takes its arguments on the stack: convert in slices of this many units. */
const FROM_CHAR_CODE_CHUNK = 0x2000;

/** The string of these UTF-16 code units, made FROM_CHAR_CODE_CHUNK units at a time. */
function fromCodeUnits(units: Uint8Array | Uint16Array): string {
  let out = '';
  for (let i = 0; i < units.length; i += FROM_CHAR_CODE_CHUNK) {
    out += String.fromCharCode.apply(
      null,
      units.subarray(i, i + FROM_CHAR_CODE_CHUNK) as unknown as number[],
    );
  }
  return out;
}

/** The length of the unpadded base64url text of `byteLength` bytes. */
export function base64urlLength(byteLength: number): number {
  if (!Number.isSafeInteger(byteLength) || byteLength < 0) {
    throw new RangeError('byteLength must be a non-negative safe integer');
  }
  return Math.floor(byteLength / 3) * 4 + [0, 2, 3][byteLength % 3]!;
}

/** Encodes bytes as base64url without padding. */
export function base64urlEncode(bytes: Uint8Array): string {
  abytes(bytes, undefined, 'bytes');
  // Character codes first, then strings of FROM_CHAR_CODE_CHUNK of them: without a JIT, building the
  // text by appending one-character strings took three times as long for a letter's 2.8 KB of ct.
  const units = new Uint8Array(base64urlLength(bytes.length));
  const full = bytes.length - (bytes.length % 3);
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    units[o++] = ALPHABET_CODES[n >>> 18]!;
    units[o++] = ALPHABET_CODES[(n >>> 12) & 63]!;
    units[o++] = ALPHABET_CODES[(n >>> 6) & 63]!;
    units[o++] = ALPHABET_CODES[n & 63]!;
  }
  const rest = bytes.length - full;
  if (rest > 0) {
    const n = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    units[o++] = ALPHABET_CODES[n >>> 18]!;
    units[o++] = ALPHABET_CODES[(n >>> 12) & 63]!;
    if (rest === 2) units[o++] = ALPHABET_CODES[(n >>> 6) & 63]!;
  }
  return fromCodeUnits(units);
}

/** Decodes one character, or returns -1 when it is outside the alphabet. */
function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? DECODE_TABLE[code]! : -1;
}

/** Why `text` is not canonical unpadded base64url, or null when it is. */
function base64urlProblem(text: string): string | null {
  const rest = text.length % 4;
  if (rest === 1) return 'base64url length cannot be 1 mod 4';
  if (!BASE64URL_ONLY.test(text)) {
    for (let i = 0; i < text.length; i++) {
      if (sextet(text, i) < 0) return `invalid base64url character at ${i}`;
    }
  }
  // The last character of a 2- or 3-character group carries 4 or 2 bits that encode nothing.
  if (rest === 2 && (sextet(text, text.length - 1) & 0x0f) !== 0) return 'non-zero trailing bits';
  if (rest === 3 && (sextet(text, text.length - 1) & 0x03) !== 0) return 'non-zero trailing bits';
  return null;
}

/**
 * True when `text` is canonical unpadded base64url, and (when given) decodes to exactly
 * `byteLength` bytes. Never throws.
 */
export function isBase64url(text: unknown, byteLength?: number): text is string {
  if (typeof text !== 'string') return false;
  if (byteLength !== undefined && text.length !== base64urlLength(byteLength)) return false;
  return base64urlProblem(text) === null;
}

/** Decodes canonical unpadded base64url; anything else throws `MifengError('Malformed')`. */
export function base64urlDecode(text: string): Uint8Array {
  astring(text, 'text');
  const problem = base64urlProblem(text);
  if (problem !== null) throw new MifengError('Malformed', problem);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let i = 0;
  // Every character is in the alphabet (checked above): the table lookups need no range check.
  for (; i + 4 <= text.length; i += 4) {
    const n =
      (DECODE_TABLE[text.charCodeAt(i)]! << 18) |
      (DECODE_TABLE[text.charCodeAt(i + 1)]! << 12) |
      (DECODE_TABLE[text.charCodeAt(i + 2)]! << 6) |
      DECODE_TABLE[text.charCodeAt(i + 3)]!;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = text.length - i;
  if (rest >= 2) {
    const n =
      (sextet(text, i) << 18) | (sextet(text, i + 1) << 12) | (rest === 3 ? sextet(text, i + 2) << 6 : 0);
    out[o++] = n >>> 16;
    if (rest === 3) out[o++] = (n >>> 8) & 0xff;
  }
  return out;
}

/** True when `text` has no lone UTF-16 surrogates, i.e. it is encodable as UTF-8. */
export function isWellFormedUnicode(text: string): boolean {
  astring(text, 'text');
  if (!SURROGATE.test(text)) return true;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit >= 0xdc00) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** The number of bytes `utf8Encode(text)` returns; throws like it on lone surrogates. */
export function utf8Length(text: string): number {
  astring(text, 'text');
  if (ASCII_ONLY.test(text)) return text.length;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit < 0xd800 || unit > 0xdfff) length += 3;
    else {
      const next = text.charCodeAt(i + 1);
      if (unit >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new MifengError('Malformed', `lone surrogate at ${i}`);
      }
      length += 4;
      i++;
    }
  }
  return length;
}

/** Encodes a string as UTF-8; a lone surrogate throws `MifengError('Malformed')`. */
export function utf8Encode(text: string): Uint8Array {
  astring(text, 'text');
  if (ASCII_ONLY.test(text)) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  const out = new Uint8Array(utf8Length(text));
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      // utf8Length has already proven this high surrogate is followed by a low one.
      cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    }
    if (cp < 0x80) {
      out[o++] = cp;
    } else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >>> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >>> 12);
      out[o++] = 0x80 | ((cp >>> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >>> 18);
      out[o++] = 0x80 | ((cp >>> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >>> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return out;
}

/**
 * Decodes strict UTF-8 (RFC 3629 §4 syntax: the second byte's range depends on the lead byte, which
 * is what excludes overlongs, surrogates and code points above U+10FFFF).
 */
export function utf8Decode(bytes: Uint8Array): string {
  abytes(bytes, undefined, 'bytes');
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i]!;
  // ASCII is its own code units. Otherwise the units go by index into a typed array, as
  // base64urlEncode's do: without a JIT, pushing them onto an array took about half of the time.
  const units = any < 0x80 ? bytes : _utf16Units(bytes);
  const out = fromCodeUnits(units);
  // The copy may be a letter's plaintext; the caller wipes its own bytes.
  if (units !== bytes) units.fill(0);
  return out;
}

/** The UTF-16 code units of strict UTF-8 (utf8Decode's rules). */
function _utf16Units(bytes: Uint8Array): Uint16Array {
  // Never more units than bytes: a 4-byte sequence is two units.
  const units = new Uint16Array(bytes.length);
  let n = 0;
  const fail = (i: number): never => {
    throw new MifengError('Malformed', `invalid UTF-8 at byte ${i}`);
  };
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    let cp: number;
    let size: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 < 0x80) {
      units[n++] = b0;
      i++;
      continue;
    }
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      cp = b0 & 0x1f;
      size = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      cp = b0 & 0x0f;
      size = 3;
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      cp = b0 & 0x07;
      size = 4;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    } else {
      return fail(i);
    }
    if (i + size > bytes.length) fail(i);
    for (let k = 1; k < size; k++) {
      const b = bytes[i + k]!;
      if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) fail(i);
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[n++] = 0xd800 + (cp >>> 10);
      units[n++] = 0xdc00 + (cp & 0x3ff);
    } else {
      units[n++] = cp;
    }
    i += size;
  }
  return units.subarray(0, n);
}
