/**
 * Strict DER shape check for SM2 signatures (GM/T 0009 §7.2: SEQUENCE { r INTEGER, s INTEGER }).
 * Verification decides whether r and s are right; this only makes sure each signature has one
 * byte form, so nobody can re-encode a valid signature (BER long lengths, extra leading zeros,
 * trailing bytes) into different envelope bytes.
 */
import { MAX_SIGNATURE_LENGTH, MIN_SIGNATURE_LENGTH } from './limits';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** r and s are below the 256-bit group order n, plus one 00 byte when the top bit is set. */
const MAX_INTEGER_LENGTH = 33;

/** Returns the offset after a minimal positive INTEGER starting at `offset`, or -1. */
function readInteger(der: Uint8Array, offset: number): number {
  if (der[offset] !== INTEGER) return -1;
  const length = der[offset + 1];
  if (length === undefined || length < 1 || length > MAX_INTEGER_LENGTH) return -1;
  const start = offset + 2;
  if (start + length > der.length) return -1;
  const first = der[start]!;
  if (first & 0x80) return -1; // negative
  if (first === 0 && length > 1 && !(der[start + 1]! & 0x80)) return -1; // non-minimal
  if (first === 0 && length === 1) return -1; // zero is never a valid r or s
  return start + length;
}

/** True when `der` is a DER SEQUENCE of exactly two minimal positive INTEGERs and nothing more. */
export function isStrictDerSignature(der: Uint8Array): boolean {
  if (der.length < MIN_SIGNATURE_LENGTH || der.length > MAX_SIGNATURE_LENGTH) return false;
  if (der[0] !== SEQUENCE || der[1] !== der.length - 2) return false;
  const afterR = readInteger(der, 2);
  if (afterR < 0) return false;
  return readInteger(der, afterR) === der.length;
}
