/**
 * PBKDF2 with HMAC-SM3 as the pseudorandom function: RFC 8018 §5.2, the construction GM/T 0091-2020
 * specifies for SM3.
 *
 * The wrapper adds speed where it matters: after the first HMAC of each output block, every
 * iteration hashes exactly one 32-byte U value, so its padded block is fixed except for the first
 * eight words. That loop (`_hmacSm3Chain`, generated with the compression function) starts each
 * HMAC from the precomputed pad states, feeds each compression's output words straight into the
 * next block in local variables and never allocates, converts to bytes or touches a BigInt.
 */
import { abytes, anumber } from '../guards';
import { clean } from './_bytes';
import { _hmacSm3Chain } from './_sm3-compress';
import { _hmacSm3States } from './hmac';
import { _SM3_BLOCK, _SM3_DIGEST, _sm3Finish, _sm3Load, _sm3Store } from './sm3';

/** Upper bounds for arguments; far above what the protocol uses (100 000 iterations, 16 bytes). */
const MAX_ITERATIONS = 100_000_000;
const MAX_LENGTH = 1 << 16;

/** PBKDF2-HMAC-SM3(password, salt, iterations) → `length` bytes. */
export function pbkdf2HmacSm3(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Uint8Array {
  abytes(password, undefined, 'password');
  abytes(salt, undefined, 'salt');
  anumber(iterations, 1, MAX_ITERATIONS, 'iterations');
  anumber(length, 1, MAX_LENGTH, 'length');
  const { inner, outer } = _hmacSm3States(password);
  const out = new Uint8Array(length);
  const block = new Uint8Array(salt.length + 4);
  block.set(salt);
  const state = new Int32Array(8);
  const digest = new Uint8Array(_SM3_DIGEST);
  const u = new Int32Array(8);
  const t = new Int32Array(8);
  for (let i = 1, offset = 0; offset < length; i++, offset += _SM3_DIGEST) {
    // U_1 = HMAC(P, S || INT(i)), RFC 8018 §5.2 step 3.
    block[salt.length] = i >>> 24;
    block[salt.length + 1] = i >>> 16;
    block[salt.length + 2] = i >>> 8;
    block[salt.length + 3] = i;
    state.set(inner);
    _sm3Finish(state, _SM3_BLOCK, block, digest, 0);
    state.set(outer);
    _sm3Finish(state, _SM3_BLOCK, digest, digest, 0);
    _sm3Load(u, digest, 0, 8);
    // U_j = HMAC(P, U_{j-1}) and T_i = U_1 ^ ... ^ U_c.
    t.set(u);
    _hmacSm3Chain(inner, outer, u, t, iterations - 1);
    _sm3Store(t, digest, 0);
    out.set(digest.subarray(0, Math.min(_SM3_DIGEST, length - offset)), offset);
  }
  clean(inner, outer, block, state, digest, u, t);
  return out;
}
