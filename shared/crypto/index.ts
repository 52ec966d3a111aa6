/**
 * shared/crypto: the one crypto layer of Mifeng, our own code on the Chinese national algorithms.
 * Bytes in, bytes out; randomness injected (see random.ts).
 *
 * - SM2 (GB/T 32918): key pairs, signatures (SM3 with Z_A over ID "1234567812345678", DER),
 *   encryption C1 ‖ C3 ‖ C2 with a 65-byte C1 (`sm2EncryptToSelf` for a wrap to one's own key),
 *   `sm2Verifier` for repeated checks by one key, and `sm2PrepareKey` to precompute for a key that
 *   will be encrypted to;
 *   `isStrictDerSignature`, whether a signature is in its one strict DER form.
 * - SM3 (GB/T 32905), HMAC-SM3 (RFC 2104), PBKDF2-HMAC-SM3 (RFC 8018, GM/T 0091), HKDF-SM3 (RFC 5869).
 * - SM4-GCM (GB/T 32907, RFC 8998): 16-byte key, 12-byte IV, output ciphertext ‖ 16-byte tag.
 * - Constant-time comparison.
 *
 * This file is the public surface; nothing else in shared/crypto is meant to be imported.
 */
export {
  isStrictDerSignature,
  MAX_DER_LENGTH as MAX_SIGNATURE_LENGTH,
  MIN_DER_LENGTH as MIN_SIGNATURE_LENGTH,
} from './_der';
export { constantTimeEqual } from './compare';
export { hkdfSm3 } from './hkdf';
export { hmacSm3 } from './hmac';
export { pbkdf2HmacSm3 } from './pbkdf2';
export { createRandomPool, type RandomPool, type RandomSource, randomBytes, setRandomSource } from './random';
export {
  SM2_USER_ID,
  sm2Decrypt,
  sm2Encrypt,
  sm2EncryptToSelf,
  sm2GenerateKeyPair,
  sm2IsValidPublicKey,
  sm2PrepareKey,
  sm2PublicKey,
  sm2Sign,
  sm2Verifier,
  sm2Verify,
} from './sm2';
export { sm3 } from './sm3';
export { sm4GcmDecrypt, sm4GcmEncrypt } from './sm4';
