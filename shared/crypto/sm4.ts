/**
 * SM4 block cipher (GB/T 32907-2016) in Galois/Counter Mode (NIST SP 800-38D, applied to SM4 by
 * RFC 8998 and GB/T 36624-2018), over sm-crypto-v2.
 *
 * What the wrapper adds: sm-crypto-v2's GCM decrypt skips authentication entirely when no tag is
 * passed, so here the tag travels appended to the ciphertext (`ct ‖ tag`, as RFC 5116 and RFC 8998
 * lay it out) and decryption always splits it off and checks it; a short input or a wrong tag is
 * `MifengError('Tampered')`. IVs are exactly 12 bytes (the SP 800-38D §8.2.1 construction, the only
 * length RFC 8998 uses), keys exactly 16.
 */
import { sm4 as sm4v2 } from 'sm-crypto-v2';
import { MifengError } from '../errors';
import { abytes } from '../guards';

/** SM4 key and block size (GB/T 32907-2016 §5). */
const SM4_KEY_LENGTH = 16;
/** GCM IV length: 96 bits (NIST SP 800-38D §5.2.1.1, RFC 8998 §3.1). */
const SM4_GCM_IV_LENGTH = 12;
/** GCM tag length: the full 128 bits (RFC 8998 §3.1). */
const SM4_GCM_TAG_LENGTH = 16;

/** SM4-GCM encryption: returns `ciphertext ‖ tag` (plaintext length + 16 bytes). */
export function sm4GcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  abytes(key, SM4_KEY_LENGTH, 'key');
  abytes(iv, SM4_GCM_IV_LENGTH, 'iv');
  abytes(plaintext, undefined, 'plaintext');
  abytes(aad, undefined, 'aad');
  const { output, tag } = sm4v2.encrypt(plaintext, key, {
    mode: 'gcm',
    iv,
    associatedData: aad,
    output: 'array',
    outputTag: true,
  });
  if (!tag || tag.length !== SM4_GCM_TAG_LENGTH) throw new Error('sm-crypto-v2 returned no GCM tag');
  const sealed = new Uint8Array(output.length + SM4_GCM_TAG_LENGTH);
  sealed.set(output);
  sealed.set(tag, output.length);
  return sealed;
}

/** SM4-GCM decryption of `ciphertext ‖ tag`; throws `MifengError('Tampered')` unless the tag verifies. */
export function sm4GcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  abytes(key, SM4_KEY_LENGTH, 'key');
  abytes(iv, SM4_GCM_IV_LENGTH, 'iv');
  abytes(sealed, undefined, 'sealed');
  abytes(aad, undefined, 'aad');
  if (sealed.length < SM4_GCM_TAG_LENGTH)
    throw new MifengError('Tampered', 'ciphertext shorter than its tag');
  const split = sealed.length - SM4_GCM_TAG_LENGTH;
  const tag = sealed.slice(split);
  try {
    return sm4v2.decrypt(sealed.subarray(0, split), key, {
      mode: 'gcm',
      iv,
      associatedData: aad,
      tag,
      output: 'array',
    });
  } catch (cause) {
    throw new MifengError('Tampered', 'GCM tag mismatch', { cause });
  }
}

/** One SM4 block encryption (GB/T 32907-2016 §7.1), for known-answer tests of the cipher itself. */
export function _sm4EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  abytes(key, SM4_KEY_LENGTH, 'key');
  abytes(block, 16, 'block');
  return sm4v2.encrypt(block, key, { padding: 'none', output: 'array' });
}
