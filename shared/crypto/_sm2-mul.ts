/**
 * Variable-base scalar multiplication on the SM2 curve (GB/T 32918.5-2017), for k·P_B in encryption,
 * d_B·C1 in decryption and t·P_A in verification: the costs that dominate sealing and opening.
 *
 * @noble/curves multiplies an uncached point with a 1-bit wNAF window plus a fake point per window
 * (about 770 complete-formula point operations). Here the scalar is recoded into 65 odd signed
 * 4-bit digits (Joye & Tunstall, "Exponent recoding and regular exponentiation algorithms",
 * AFRICACRYPT 2009, §3.2), so every scalar costs the same sequence: 256 doublings and 64 mixed
 * additions of a precomputed affine odd multiple ±P, ±3P, …, ±15P. Points are in Jacobian
 * coordinates with the a = −3 doubling formula dbl-2001-b and the mixed addition madd-2007-bl
 * (Explicit-Formulas Database, hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-3.html); SM2's a is
 * p − 3 (GB/T 32918.5-2017 §2), so those formulas apply. The formulas are incomplete: adding a
 * point to itself or to its negative, or to infinity, happens only for rare special scalars (never
 * for random ones in practice) and is handled by a branch, so results are always correct. BigInt
 * arithmetic is itself not constant-time in JavaScript engines; what we keep independent of the
 * scalar is the sequence of point operations. Checked against @noble/curves in tests.
 */
import { invert } from '@noble/curves/abstract/modular';

/** The field prime p and the order n of the recommended curve (GB/T 32918.5-2017 §2). */
const P = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

/** Window width w and the digit count for 256-bit scalars: ⌈257 / w⌉ = 65 digits. */
const W = 4;
const DIGITS = 64;

function _m(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** Jacobian point; Z = 0 is the point at infinity. */
type Jacobian = { X: bigint; Y: bigint; Z: bigint };

/** dbl-2001-b for a = −3: 3M + 5S. */
function _double(p: Jacobian): void {
  const { X, Y, Z } = p;
  const delta = (Z * Z) % P;
  const gamma = (Y * Y) % P;
  const beta = (X * gamma) % P;
  const alpha = _m(3n * (((X - delta) * (X + delta)) % P));
  const X3 = _m(alpha * alpha - 8n * beta);
  const Z3 = _m((Y + Z) * (Y + Z) - gamma - delta);
  p.Y = _m(alpha * (4n * beta - X3) - ((8n * gamma * gamma) % P));
  p.X = X3;
  p.Z = Z3;
}

/** madd-2007-bl: p += (x2, y2) affine, 7M + 4S, with the exceptional cases branched out. */
function _addAffine(p: Jacobian, x2: bigint, y2: bigint): void {
  const { X, Y, Z } = p;
  if (Z === 0n) {
    p.X = x2;
    p.Y = y2;
    p.Z = 1n;
    return;
  }
  const Z1Z1 = (Z * Z) % P;
  const U2 = (x2 * Z1Z1) % P;
  const S2 = (((y2 * Z) % P) * Z1Z1) % P;
  const H = _m(U2 - X);
  const r = _m(2n * (S2 - Y));
  if (H === 0n) {
    if (r === 0n) _double(p);
    else p.Z = 0n;
    return;
  }
  const HH = (H * H) % P;
  const I = (4n * HH) % P;
  const J = (H * I) % P;
  const V = (X * I) % P;
  const X3 = _m(r * r - J - 2n * V);
  p.Y = _m(r * (V - X3) - ((2n * Y * J) % P));
  p.X = X3;
  p.Z = _m((Z + H) * (Z + H) - Z1Z1 - HH);
}

/** Affine (x, y) of a Jacobian point, or null for infinity. */
function _toAffine(p: Jacobian): [bigint, bigint] | null {
  if (p.Z === 0n) return null;
  const zi = invert(p.Z, P);
  const zi2 = (zi * zi) % P;
  return [(p.X * zi2) % P, (((p.Y * zi2) % P) * zi) % P];
}

/** Affine odd multiples P, 3P, …, 15P, normalized together with one inversion (Montgomery's trick). */
function _oddMultiples(x: bigint, y: bigint): bigint[] {
  const twice: Jacobian = { X: x, Y: y, Z: 1n };
  _double(twice);
  const t = _toAffine(twice);
  if (t === null) throw new RangeError('point of order 2');
  const jac: Jacobian[] = [{ X: x, Y: y, Z: 1n }];
  for (let i = 1; i < 8; i++) {
    const prev = jac[i - 1]!;
    const next = { X: prev.X, Y: prev.Y, Z: prev.Z };
    _addAffine(next, t[0], t[1]);
    if (next.Z === 0n) throw new RangeError('point of small order');
    jac.push(next);
  }
  // Batch inversion of the Z coordinates.
  const acc: bigint[] = [];
  let prod = 1n;
  for (const q of jac) {
    acc.push(prod);
    prod = (prod * q.Z) % P;
  }
  let inv = invert(prod, P);
  const out = new Array<bigint>(16);
  for (let i = 7; i >= 0; i--) {
    const q = jac[i]!;
    const zi = (inv * acc[i]!) % P;
    inv = (inv * q.Z) % P;
    const zi2 = (zi * zi) % P;
    out[2 * i] = (q.X * zi2) % P;
    out[2 * i + 1] = (((q.Y * zi2) % P) * zi) % P;
  }
  return out;
}

/**
 * k·(x, y) for a point (x, y) of order n on the curve and 1 ≤ k < n; returns the affine result.
 * The caller has validated the point (on the curve, not infinity).
 */
export function _sm2Multiply(k: bigint, x: bigint, y: bigint): [bigint, bigint] {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  // The recoding needs an odd scalar: use n − k when k is even (n is odd) and negate the result.
  const negate = (k & 1n) === 0n;
  let e = negate ? N - k : k;
  const digits = new Int8Array(DIGITS + 1);
  for (let i = 0; i < DIGITS; i++) {
    const d = Number(e & 31n) - 16;
    digits[i] = d;
    e = (e - BigInt(d)) >> BigInt(W);
  }
  digits[DIGITS] = Number(e);
  const table = _oddMultiples(x, y);
  const top = (digits[DIGITS]! - 1) >> 1;
  const acc: Jacobian = { X: table[2 * top]!, Y: table[2 * top + 1]!, Z: 1n };
  for (let i = DIGITS - 1; i >= 0; i--) {
    _double(acc);
    _double(acc);
    _double(acc);
    _double(acc);
    const d = digits[i]!;
    const idx = ((d < 0 ? -d : d) - 1) >> 1;
    const ty = table[2 * idx + 1]!;
    _addAffine(acc, table[2 * idx]!, d < 0 ? P - ty : ty);
  }
  const result = _toAffine(acc);
  if (result === null) throw new RangeError('scalar multiple is infinity');
  return negate ? [result[0], result[1] === 0n ? 0n : P - result[1]] : result;
}
