// An independent implementation of RFC 9162 §2.1 written straight from the RFC's recursive
// definitions (MTH, PATH, PROOF/SUBPROOF), on Node's OpenSSL SM3 rather than our own SM3. The
// tests hold shared/transparency to it; it shares no code with that module.
import { createHash } from 'node:crypto';

export function sm3(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sm3');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

/** The largest power of two smaller than n (RFC 9162 §2.1.1: k < n ≤ 2k). */
function k(n: number): number {
  return 2 ** Math.ceil(Math.log2(n) - 1);
}

export function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sm3();
  if (d.length === 1) return sm3(LEAF, d[0]!);
  const split = k(d.length);
  return sm3(NODE, mth(d.slice(0, split)), mth(d.slice(split)));
}

/** PATH(m, D[n]) of §2.1.3.1. */
export function path(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const split = k(d.length);
  return m < split
    ? [...path(m, d.slice(0, split)), mth(d.slice(split))]
    : [...path(m - split, d.slice(split)), mth(d.slice(0, split))];
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const split = k(d.length);
  return m <= split
    ? [...subproof(m, d.slice(0, split), b), mth(d.slice(split))]
    : [...subproof(m - split, d.slice(split), false), mth(d.slice(0, split))];
}

/** PROOF(m, D[n]) of §2.1.4.1, for 0 < m < n. */
export function proof(m: number, d: readonly Uint8Array[]): Uint8Array[] {
  return subproof(m, d, true);
}

/** Leaf bytes for tests: `leaf-<i>` in ASCII. */
export function testLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`leaf-${i}`));
}
