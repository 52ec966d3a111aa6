/**
 * Strict DER for SM2 signatures: SEQUENCE { r INTEGER, s INTEGER } (GM/T 0009-2012 §7.2), the one
 * encoder and decoder of it. Strict means one byte form per signature: short-form lengths, minimal
 * positive integers (a 00 byte only before a set top bit), no zero, nothing after the sequence. So
 * nobody can re-encode a valid signature (BER long lengths, extra leading zeros, trailing bytes)
 * into different envelope bytes. Whether r and s verify is sm2.ts's business.
 */
import { bigIntToBytes, bytesToBigInt } from './_bytes';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
/** r and s are below the 256-bit group order n: 32 bytes, plus one 00 byte when the top bit is set. */
const MAX_INTEGER_LENGTH = 33;
/** Shortest and longest encodings: two 1-byte integers, two 33-byte ones (2 + 2·(2 + 33) = 72). */
export const MIN_DER_LENGTH = 8;
export const MAX_DER_LENGTH = 72;

/** INTEGER of a positive integer below 2^256: minimal big-endian, 00-prefixed when the top bit is set. */
function _integer(value: bigint): Uint8Array {
  let bytes = bigIntToBytes(value, 32);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  const pad = bytes[0]! & 0x80 ? 1 : 0;
  const out = new Uint8Array(2 + pad + bytes.length);
  out[0] = INTEGER;
  out[1] = pad + bytes.length;
  out.set(bytes, 2 + pad);
  return out;
}

/** SEQUENCE { r, s } for 1 ≤ r, s < 2^256; at most 72 bytes, so short-form lengths. */
export function _derEncode(r: bigint, s: bigint): Uint8Array {
  const ri = _integer(r);
  const si = _integer(s);
  const out = new Uint8Array(2 + ri.length + si.length);
  out[0] = SEQUENCE;
  out[1] = ri.length + si.length;
  out.set(ri, 2);
  out.set(si, 2 + ri.length);
  return out;
}

/** The offset after a minimal positive INTEGER starting at `offset`, or -1. */
function _readInteger(der: Uint8Array, offset: number): number {
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

/** [r, s] of a strict DER signature, or null for anything else. Never throws. */
export function _derDecode(der: Uint8Array): [bigint, bigint] | null {
  if (!isStrictDerSignature(der)) return null;
  const afterR = _readInteger(der, 2);
  return [bytesToBigInt(der.subarray(4, afterR)), bytesToBigInt(der.subarray(afterR + 2))];
}

/** True when `der` is a DER SEQUENCE of exactly two minimal positive INTEGERs and nothing more. */
export function isStrictDerSignature(der: Uint8Array): boolean {
  if (!(der instanceof Uint8Array) || der.length < MIN_DER_LENGTH || der.length > MAX_DER_LENGTH)
    return false;
  if (der[0] !== SEQUENCE || der[1] !== der.length - 2) return false;
  const afterR = _readInteger(der, 2);
  if (afterR < 0) return false;
  return _readInteger(der, afterR) === der.length;
}
