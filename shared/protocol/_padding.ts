/**
 * Internal: the zero padding that letters and contact books share (docs/protocol.md §Derived byte
 * strings). Canonical JSON never contains a 00 byte (U+0000 is escaped), so the first 00 starts the
 * padding; the padding is minimal, so each JSON text has exactly one padded form.
 */
import { utf8Decode } from '../encoding';
import { MifengError } from '../errors';
import { abytes } from '../guards';
import { parseJson } from '../json';
import { PADDING_BLOCK } from './limits';

/** `json` zero-padded to the next multiple of PADDING_BLOCK; `TooLarge` over `max` bytes. */
export function padJson(json: Uint8Array, max: number, label: string): Uint8Array {
  const padded = Math.ceil(json.length / PADDING_BLOCK) * PADDING_BLOCK;
  if (padded > max) throw new MifengError('TooLarge', `the ${label} is over ${max} bytes once escaped`);
  const out = new Uint8Array(padded);
  out.set(json);
  return out;
}

/**
 * The JSON text inside padded bytes and its value; `Malformed` unless padJson could have produced
 * them (strict UTF-8, minimal all-zero padding, JSON).
 */
export function unpadJson(bytes: Uint8Array, max: number, label: string): { text: string; value: unknown } {
  abytes(bytes, undefined, 'bytes');
  if (bytes.length === 0 || bytes.length % PADDING_BLOCK !== 0 || bytes.length > max) {
    throw new MifengError('Malformed', `${label} length is not a padded length`);
  }
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  if (end === 0 || bytes.length - end >= PADDING_BLOCK)
    throw new MifengError('Malformed', 'padding is not minimal');
  for (let i = end; i < bytes.length; i++) {
    if (bytes[i] !== 0) throw new MifengError('Malformed', 'padding is not all zeros');
  }
  const text = utf8Decode(bytes.subarray(0, end));
  return { text, value: parseJson(text, label) };
}
