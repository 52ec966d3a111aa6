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
 *
 * The base point G gets the same recoding with 6-bit digits and a comb table of every odd multiple
 * ±1…±63 of 2^(6i)·G (44 × 32 affine points, built once on first use): k·G is then 43 mixed
 * additions and no doublings, about twice as fast as noble's cached 8-bit wNAF with fake points.
 */
import { invert } from '@noble/curves/abstract/modular';

/** The field prime p and the order n of the recommended curve (GB/T 32918.5-2017 §2). */
const P = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

/** Window width w for variable points, and the digit count ⌈256 / w⌉ (plus a top digit). */
const W = 4;
const DIGITS = Math.ceil(256 / W);

function _m(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** Jacobian point; Z = 0 is the point at infinity. */
type Jacobian = { X: bigint; Y: bigint; Z: bigint };

/**
 * dbl-2001-b for a = −3: 3M + 5S. Z3 = (Y + Z)^2 − γ − δ is computed as the equal 2·Y·Z, and
 * intermediates are left unreduced or negative where only the final reduction needs them right:
 * with BigInt, every operation allocates, so fewer operations beat smaller operands.
 */
function _double(p: Jacobian): void {
  const { X, Y, Z } = p;
  const delta = (Z * Z) % P;
  const gamma = (Y * Y) % P;
  const beta = (X * gamma) % P;
  const alpha = (3n * (X - delta) * (X + delta)) % P;
  const X3 = _m(alpha * alpha - 8n * beta);
  p.Z = (2n * Y * Z) % P;
  p.Y = _m(alpha * (4n * beta - X3) - 8n * gamma * gamma);
  p.X = X3;
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
  // H and r/2 lie in (−p, p), so they are zero exactly when the points share x (or y).
  const H = ((x2 * Z1Z1) % P) - X;
  const r = 2n * (((((y2 * Z) % P) * Z1Z1) % P) - Y);
  if (H === 0n) {
    if (r === 0n) _double(p);
    else p.Z = 0n;
    return;
  }
  const HH = (H * H) % P;
  const I = 4n * HH;
  const J = (H * I) % P;
  const V = (X * I) % P;
  const X3 = _m(r * r - J - 2n * V);
  p.Y = _m(r * (V - X3) - 2n * Y * J);
  p.X = X3;
  p.Z = _m(2n * Z * H);
}

/** Affine (x, y) of a Jacobian point, or null for infinity. */
function _toAffine(p: Jacobian): [bigint, bigint] | null {
  if (p.Z === 0n) return null;
  const zi = invert(p.Z, P);
  const zi2 = (zi * zi) % P;
  return [(p.X * zi2) % P, (((p.Y * zi2) % P) * zi) % P];
}

/** add-2007-bl: p += q, both Jacobian, 11M + 5S, with the exceptional cases branched out. */
function _add(p: Jacobian, q: Jacobian): void {
  if (q.Z === 0n) return;
  if (p.Z === 0n) {
    p.X = q.X;
    p.Y = q.Y;
    p.Z = q.Z;
    return;
  }
  const Z1Z1 = (p.Z * p.Z) % P;
  const Z2Z2 = (q.Z * q.Z) % P;
  const U1 = (p.X * Z2Z2) % P;
  const U2 = (q.X * Z1Z1) % P;
  const S1 = (((p.Y * q.Z) % P) * Z2Z2) % P;
  const S2 = (((q.Y * p.Z) % P) * Z1Z1) % P;
  const H = _m(U2 - U1);
  const r = _m(2n * (S2 - S1));
  if (H === 0n) {
    if (r === 0n) _double(p);
    else p.Z = 0n;
    return;
  }
  const I = (4n * H * H) % P;
  const J = (H * I) % P;
  const V = (U1 * I) % P;
  const X3 = _m(r * r - J - 2n * V);
  p.Y = _m(r * (V - X3) - ((2n * S1 * J) % P));
  p.X = X3;
  p.Z = (_m((p.Z + q.Z) * (p.Z + q.Z) - Z1Z1 - Z2Z2) * H) % P;
}

/** Affine coordinates [x0, y0, x1, y1, …] of Jacobian points, with one inversion (Montgomery's trick). */
function _normalize(points: Jacobian[]): bigint[] {
  const prefix: bigint[] = [];
  let prod = 1n;
  for (const q of points) {
    if (q.Z === 0n) throw new RangeError('point at infinity in a table');
    prefix.push(prod);
    prod = (prod * q.Z) % P;
  }
  let inv = invert(prod, P);
  const out = new Array<bigint>(2 * points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const q = points[i]!;
    const zi = (inv * prefix[i]!) % P;
    inv = (inv * q.Z) % P;
    const zi2 = (zi * zi) % P;
    out[2 * i] = (q.X * zi2) % P;
    out[2 * i + 1] = (((q.Y * zi2) % P) * zi) % P;
  }
  return out;
}

/** Jacobian odd multiples Q, 3Q, …, (2^w − 1)Q of a Jacobian point Q. */
function _oddMultiples(q: Jacobian, w: number): Jacobian[] {
  const twice = { ...q };
  _double(twice);
  const out: Jacobian[] = [{ ...q }];
  for (let i = 1; i < 1 << (w - 1); i++) {
    const next = { ...out[i - 1]! };
    _add(next, twice);
    out.push(next);
  }
  return out;
}

/**
 * Odd signed digits d_0 … d_D of an odd scalar e, each in ±{1, 3, …, 2^w − 1}, with
 * e = Σ d_i · 2^(w·i) (Joye & Tunstall 2009, §3.2); D = ⌈256 / w⌉, and d_D > 0.
 */
function _recode(e: bigint, w: number): Int16Array {
  const count = Math.ceil(256 / w);
  const digits = new Int16Array(count + 1);
  const mask = BigInt((1 << (w + 1)) - 1);
  const half = 1 << w;
  const shift = BigInt(w);
  for (let i = 0; i < count; i++) {
    const d = Number(e & mask) - half;
    digits[i] = d;
    e = (e - BigInt(d)) >> shift;
  }
  digits[count] = Number(e);
  return digits;
}

/** Table entry for digit d: the affine multiple |d|·Q negated when d < 0, added into `acc`. */
function _addDigit(acc: Jacobian, table: bigint[], offset: number, d: number): void {
  const i = offset + 2 * (((d < 0 ? -d : d) - 1) >> 1);
  const y = table[i + 1]!;
  _addAffine(acc, table[i]!, d < 0 ? P - y : y);
}

/**
 * k·(x, y) for a point (x, y) of order n on the curve and 1 ≤ k < n; returns the affine result.
 * The caller has validated the point (on the curve, not infinity).
 */
export function _sm2Multiply(k: bigint, x: bigint, y: bigint): [bigint, bigint] {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  // The recoding needs an odd scalar: use n − k when k is even (n is odd) and negate the result.
  const negate = (k & 1n) === 0n;
  const digits = _recode(negate ? N - k : k, W);
  const table = _normalize(_oddMultiples({ X: x, Y: y, Z: 1n }, W));
  const acc: Jacobian = { X: 0n, Y: 1n, Z: 0n };
  _addDigit(acc, table, 0, digits[DIGITS]!);
  for (let i = DIGITS - 1; i >= 0; i--) {
    _double(acc);
    _double(acc);
    _double(acc);
    _double(acc);
    _addDigit(acc, table, 0, digits[i]!);
  }
  return _finish(acc, negate);
}

function _finish(acc: Jacobian, negate: boolean): [bigint, bigint] {
  const result = _toAffine(acc);
  if (result === null) throw new RangeError('scalar multiple is infinity');
  return negate ? [result[0], result[1] === 0n ? 0n : P - result[1]] : result;
}

/** A comb: for each digit position i, the affine odd multiples of 2^(w·i)·Q. */
export interface _Comb {
  w: number;
  table: bigint[];
}

/** Builds the comb of the point (x, y) for w-bit digits: (⌈256 / w⌉ + 1) · 2^(w−1) affine points. */
export function _sm2Comb(x: bigint, y: bigint, w: number): _Comb {
  const points: Jacobian[] = [];
  const base: Jacobian = { X: x, Y: y, Z: 1n };
  for (let i = 0; i <= Math.ceil(256 / w); i++) {
    points.push(..._oddMultiples(base, w));
    for (let j = 0; j < w; j++) _double(base);
  }
  return { w, table: _normalize(points) };
}

/** k·Q for 1 ≤ k < n from Q's comb: one mixed addition per digit, no doublings. */
export function _sm2MultiplyComb(k: bigint, comb: _Comb): [bigint, bigint] {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  const negate = (k & 1n) === 0n;
  const digits = _recode(negate ? N - k : k, comb.w);
  const stride = 2 << (comb.w - 1);
  const acc: Jacobian = { X: 0n, Y: 1n, Z: 0n };
  for (let i = digits.length - 1; i >= 0; i--) _addDigit(acc, comb.table, i * stride, digits[i]!);
  return _finish(acc, negate);
}

/**
 * Digit width of the base-point comb: 44 × 32 affine points (about 150 KB), built on the first
 * base-point multiplication, which therefore takes some 60–100 ms once (measured on our 2-core
 * servers, with or without JIT); 4-bit digits would halve that and cost ~0.6 ms more per seal.
 */
const BASE_W = 6;
/** Base point G (GB/T 32918.5-2017 §2). */
const GX = BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7');
const GY = BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0');
let baseComb: _Comb | null = null;

/** k·G for 1 ≤ k < n, affine. */
export function _sm2MultiplyBase(k: bigint): [bigint, bigint] {
  baseComb ??= _sm2Comb(GX, GY, BASE_W);
  return _sm2MultiplyComb(k, baseComb);
}
