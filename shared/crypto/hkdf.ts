/**
 * HKDF-SM3: RFC 5869 extract-then-expand key derivation with HMAC-SM3 as the HMAC.
 *
 * The wrapper adds nothing to the RFC but argument checks and wiping of the intermediate keys;
 * it derives the contact book's key from the owner's private key (docs/protocol.md §Contact book).
 */
import { abytes, anumber } from '../guards';
import { clean } from './_bytes';
import { hmacSm3 } from './hmac';
import { _SM3_DIGEST } from './sm3';

/** RFC 5869 §2.3: L ≤ 255·HashLen. */
const MAX_OUTPUT = 255 * _SM3_DIGEST;

/** HKDF-SM3(ikm, salt, info) → `length` bytes. An empty salt is HashLen zeros (RFC 5869 §2.2). */
export function hkdfSm3(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  abytes(ikm, undefined, 'ikm');
  abytes(salt, undefined, 'salt');
  abytes(info, undefined, 'info');
  anumber(length, 1, MAX_OUTPUT, 'length');
  const prk = hmacSm3(salt.length ? salt : new Uint8Array(_SM3_DIGEST), ikm);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 0, offset = 0; offset < length; i++) {
    // T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), i from 1.
    const input = new Uint8Array(previous.length + info.length + 1);
    input.set(previous);
    input.set(info, previous.length);
    input[input.length - 1] = i + 1;
    clean(previous);
    previous = hmacSm3(prk, input);
    out.set(previous.subarray(0, Math.min(_SM3_DIGEST, length - offset)), offset);
    offset += _SM3_DIGEST;
    clean(input);
  }
  clean(prk, previous);
  return out;
}
