/**
 * PBKDF2 with HMAC-SM3 as the pseudorandom function: RFC 8018 §5.2, the construction GM/T 0091-2020
 * specifies for SM3.
 *
 * The wrapper adds speed where it matters: after the first HMAC of each output block, every
 * iteration hashes exactly one 32-byte U value, so its padded block is fixed except for the first
 * eight words. The loop keeps that block in a reused Int32Array, starts each HMAC from the
 * precomputed pad states, feeds each compression's output words straight into the next block and
 * never allocates, converts to bytes or touches a BigInt.
 */
import { abytes, anumber, clean } from './_bytes';
import { _hmacSm3States } from './hmac';
import { _SM3_BLOCK, _SM3_DIGEST, _sm3Compress, _sm3Finish, _sm3Load } from './sm3';

/** Upper bounds for arguments; far above what the protocol uses (100 000 iterations, 16 bytes). */
const MAX_ITERATIONS = 100_000_000;
const MAX_LENGTH = 1 << 16;

/**
 * Padding of a 32-byte message that follows one 64-byte pad block (GB/T 32905-2016 §5.2): the word
 * after the message is 0x80000000, and the last word is the bit length (64 + 32) * 8 = 768.
 */
const PAD_WORD = 0x80000000 | 0;
const PADDED_BITS = (_SM3_BLOCK + _SM3_DIGEST) * 8;

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
  const u = new Uint8Array(_SM3_DIGEST);
  const s = new Int32Array(8);
  const t = new Int32Array(8);
  const w = new Int32Array(16);
  const blocks = Math.ceil(length / _SM3_DIGEST);
  for (let i = 1; i <= blocks; i++) {
    // U_1 = HMAC(P, S || INT(i)), RFC 8018 §5.2 step 3.
    block[salt.length] = i >>> 24;
    block[salt.length + 1] = i >>> 16;
    block[salt.length + 2] = i >>> 8;
    block[salt.length + 3] = i;
    s.set(inner);
    _sm3Finish(s, _SM3_BLOCK, block, u, 0);
    s.set(outer);
    _sm3Finish(s, _SM3_BLOCK, u, u, 0);
    const words = new Uint8Array(_SM3_BLOCK);
    words.set(u);
    _sm3Load(w, words, 0);
    clean(words);
    w[8] = PAD_WORD;
    w[15] = PADDED_BITS;
    t.set(w.subarray(0, 8));
    // U_j = HMAC(P, U_{j-1}); T_i = U_1 ^ ... ^ U_c.
    for (let j = 1; j < iterations; j++) {
      s.set(inner);
      _sm3Compress(s, w);
      w[0] = s[0]!;
      w[1] = s[1]!;
      w[2] = s[2]!;
      w[3] = s[3]!;
      w[4] = s[4]!;
      w[5] = s[5]!;
      w[6] = s[6]!;
      w[7] = s[7]!;
      s.set(outer);
      _sm3Compress(s, w);
      w[0] = s[0]!;
      w[1] = s[1]!;
      w[2] = s[2]!;
      w[3] = s[3]!;
      w[4] = s[4]!;
      w[5] = s[5]!;
      w[6] = s[6]!;
      w[7] = s[7]!;
      t[0]! ^= s[0]!;
      t[1]! ^= s[1]!;
      t[2]! ^= s[2]!;
      t[3]! ^= s[3]!;
      t[4]! ^= s[4]!;
      t[5]! ^= s[5]!;
      t[6]! ^= s[6]!;
      t[7]! ^= s[7]!;
    }
    const offset = (i - 1) * _SM3_DIGEST;
    if (offset + _SM3_DIGEST <= length) {
      for (let k = 0; k < 8; k++) {
        const v = t[k]!;
        out[offset + 4 * k] = v >>> 24;
        out[offset + 4 * k + 1] = v >>> 16;
        out[offset + 4 * k + 2] = v >>> 8;
        out[offset + 4 * k + 3] = v;
      }
    } else {
      const last = new Uint8Array(_SM3_DIGEST);
      for (let k = 0; k < 8; k++) {
        const v = t[k]!;
        last[4 * k] = v >>> 24;
        last[4 * k + 1] = v >>> 16;
        last[4 * k + 2] = v >>> 8;
        last[4 * k + 3] = v;
      }
      out.set(last.subarray(0, length - offset), offset);
      clean(last);
    }
  }
  clean(inner, outer, block, u, s, t, w);
  return out;
}
