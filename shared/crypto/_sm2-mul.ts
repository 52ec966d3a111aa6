/**
 * Variable-base scalar multiplication on the SM2 curve (GB/T 32918.5-2017), for k·P_B in encryption,
 * d_B·C1 in decryption and t·P_A in verification: the costs that dominate sealing and opening.
 *
 * @noble/curves multiplies an uncached point with a 1-bit wNAF window plus a fake point per window
 * (about 770 complete-formula point operations). Here the scalar is recoded into 65 odd signed
 * 4-bit digits (Joye & Tunstall, "Exponent recoding and regular exponentiation algorithms",
 * AFRICACRYPT 2009, §3.2), so every scalar costs the same sequence: 256 doublings and 64 mixed
 * additions of a precomputed affine odd multiple ±P, ±3P, …, ±15P. Points are in Jacobian
 * coordinates with the a = −3 doubling formula dbl-2001-b and the mixed addition madd-2004-hmv
 * (Explicit-Formulas Database, hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-3.html); SM2's a is
 * p − 3 (GB/T 32918.5-2017 §2), so those formulas apply. The formulas are incomplete: adding a
 * point to itself or to its negative, or to infinity, happens only for rare special scalars (never
 * for random ones in practice) and is handled by a branch, so results are always correct. BigInt
 * arithmetic is itself not constant-time in JavaScript engines; what we keep independent of the
 * scalar is the sequence of point operations. Checked against @noble/curves in tests.
 *
 * The base point G gets the same recoding with 6-bit digits and a comb table of every odd multiple
 * ±1…±63 of 2^(6i)·G (44 × 32 affine points, built once on first use): k·G is then 44 mixed
 * additions and no doublings, more than twice as fast as noble's cached 8-bit wNAF with fake points.
 * A public key used again (a reader written to again, a sender whose letters are opened) or prepared
 * ahead (a recipient looked up while the letter is written) gets a smaller table of four rows
 * (_sm2MultiplyKey), which cuts its multiplications to 64 doublings.
 */
import { _invert, GX, GY, N, P } from './_sm2-curve';

/** Window width w for variable points, and the digit count ⌈256 / w⌉ (plus a top digit). */
const W = 4;
const DIGITS = Math.ceil(256 / W);

/**
 * Jacobian point (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. Coordinates are signed
 * representatives in (−p, p): BigInt `%` keeps the dividend's sign, and letting it do so saves the
 * additions of multiples of p that would keep every difference non-negative. _sm2Affine returns
 * canonical coordinates in [0, p).
 */
export type _Jacobian = { X: bigint; Y: bigint; Z: bigint };

/**
 * p = 2^times · p: dbl-2001-b for a = −3 (3M + 5S, with Z3 = (Y + Z)^2 − γ − δ computed as the
 * equal 2·Y·Z) `times` times. BigInt costs per operation far more than per bit (in JavaScriptCore
 * without JIT every operation allocates, ~0.5 µs, and a reduction `% p` of a 512-bit value costs
 * about three), so the formulas are written for the fewest operations: β is never reduced on its
 * own and no sign is fixed. Small constants are multiplications, not shifts: BigInt `<<` measured
 * slower than `2n *` there.
 *
 * Between doublings V = 2Y is carried instead of Y: with γ' = V² = 4γ and β' = X·γ' = 4β a
 * doubling is X3 = α² − 2β', V3 = 2α(β' − X3) − γ'², Z3 = V·Z, 22 operations (6 reductions)
 * instead of 24, about 9 % less time per doubling in JavaScriptCore without JIT. The last doubling
 * returns to Y through the Jacobian scaling (X, Y, Z) ~ (4X, 8Y, 2Z), folded into its formulas
 * with α' = 2α: 4·X3 = α'² − 8β', 8·Y3 = α'(4β' − 4·X3) − 4γ'², 2·Z3 = 2·V·Z.
 */
function _double(p: _Jacobian, times = 1): void {
  let { X, Z } = p;
  let V = 2n * p.Y;
  for (let i = 1; i < times; i++) {
    const delta = (Z * Z) % P;
    const gamma = (V * V) % P;
    const beta = X * gamma;
    const alpha = ((X - delta) * (X + delta) * 3n) % P;
    const X3 = (alpha * alpha - beta - beta) % P;
    Z = (V * Z) % P;
    V = (alpha * (beta - X3) * 2n - gamma * gamma) % P;
    X = X3;
  }
  const delta = (Z * Z) % P;
  const gamma = (V * V) % P;
  const beta = X * gamma;
  const alpha = ((X - delta) * (X + delta) * 6n) % P;
  const X3 = (alpha * alpha - 8n * beta) % P;
  p.Y = (alpha * (4n * beta - X3) - 4n * gamma * gamma) % P;
  p.X = X3;
  p.Z = (2n * V * Z) % P;
}

/** True when a value in (−2p, 2p) is ≡ 0 mod p. */
function _isZero(v: bigint): boolean {
  return v === 0n || v === P || v === -P;
}

/**
 * p += (x2, y2) affine by madd-2004-hmv (8M + 3S; Explicit-Formulas Database), with the
 * exceptional cases branched out; HHH and V stay unreduced (25 operations, 7 reductions).
 */
export function _sm2AddAffine(p: _Jacobian, x2: bigint, y2: bigint): void {
  const { X, Y, Z } = p;
  if (Z === 0n) {
    p.X = x2;
    p.Y = y2;
    p.Z = 1n;
    return;
  }
  const Z1Z1 = (Z * Z) % P;
  // H and R lie in (−2p, 2p).
  const H = ((x2 * Z1Z1) % P) - X;
  const R = ((y2 * Z * Z1Z1) % P) - Y;
  if (_isZero(H)) {
    if (_isZero(R)) _double(p);
    else p.Z = 0n;
    return;
  }
  const HH = (H * H) % P;
  const HHH = H * HH;
  const V = X * HH;
  const X3 = (R * R - HHH - 2n * V) % P;
  p.Y = (R * (V - X3) - Y * HHH) % P;
  p.X = X3;
  p.Z = (Z * H) % P;
}

/**
 * Affine coordinates of Jacobian points with one inversion for all (Montgomery's trick); null for
 * the point at infinity.
 */
export function _sm2Affine(points: _Jacobian[]): ([bigint, bigint] | null)[] {
  const prefix: bigint[] = [];
  let prod = 1n;
  for (const q of points) {
    prefix.push(prod);
    if (q.Z !== 0n) prod = (prod * q.Z) % P;
  }
  let inv = prod === 1n ? 1n : _invert(prod, P);
  const out: ([bigint, bigint] | null)[] = new Array(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const q = points[i]!;
    if (q.Z === 0n) {
      out[i] = null;
      continue;
    }
    const zi = (inv * prefix[i]!) % P;
    inv = (inv * q.Z) % P;
    const zi2 = (zi * zi) % P;
    out[i] = [_mod0(q.X * zi2), _mod0(q.Y * zi2 * zi)];
  }
  return out;
}

/** x mod p for x ≥ 0 or a value whose sign BigInt `%` keeps: into [0, p). */
function _mod0(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

/** add-2007-bl: p += q, both Jacobian, 11M + 5S, with the exceptional cases branched out. */
export function _sm2Add(p: _Jacobian, q: _Jacobian): void {
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
  const H = _mod0(U2 - U1);
  const r = _mod0(2n * (S2 - S1));
  if (H === 0n) {
    if (r === 0n) _double(p);
    else p.Z = 0n;
    return;
  }
  const I = (4n * H * H) % P;
  const J = (H * I) % P;
  const V = (U1 * I) % P;
  const X3 = _mod0(r * r - J - 2n * V);
  p.Y = _mod0(r * (V - X3) - ((2n * S1 * J) % P));
  p.X = X3;
  p.Z = (_mod0((p.Z + q.Z) * (p.Z + q.Z) - Z1Z1 - Z2Z2) * H) % P;
}

/** Affine coordinates [x0, y0, x1, y1, …] of a table's Jacobian points, none of them infinity. */
function _normalize(points: _Jacobian[]): bigint[] {
  const out: bigint[] = [];
  for (const xy of _sm2Affine(points)) {
    if (xy === null) throw new RangeError('point at infinity in a table');
    out.push(xy[0], xy[1]);
  }
  return out;
}

/** Jacobian odd multiples Q, 3Q, …, (2^w − 1)Q of a Jacobian point Q. */
function _oddMultiples(q: _Jacobian, w: number): _Jacobian[] {
  const twice = { ...q };
  _double(twice);
  const out: _Jacobian[] = [{ ...q }];
  for (let i = 1; i < 1 << (w - 1); i++) {
    const next = { ...out[i - 1]! };
    _sm2Add(next, twice);
    out.push(next);
  }
  return out;
}

/**
 * Odd signed digits d_0 … d_D of an odd scalar e < 2^256, each in ±{1, 3, …, 2^w − 1}, with
 * e = Σ d_i · 2^(w·i) (Joye & Tunstall 2009, §3.2); D = ⌈256 / w⌉, and d_D = 1. The paper's step
 * d_i = (e_i mod 2^(w+1)) − 2^w, e_(i+1) = (e_i − d_i) / 2^w leaves e_(i+1) = ⌊e_i / 2^w⌋ | 1, so
 * e_i's low w + 1 bits are a 1 under the scalar's own bits w·i + 1 … w·i + w: the digits are read
 * off e's hex digits as Numbers, with no BigInt operation per digit (each costs ~0.5 µs in
 * JavaScriptCore without JIT, a recoding by BigInt steps ~0.1 ms).
 */
function _recode(e: bigint, w: number): Int16Array {
  const count = Math.ceil(256 / w);
  const digits = new Int16Array(count + 1);
  const hex = e.toString(16);
  // Little-endian hex digits, zero above the top: a window of w ≤ 9 bits spans at most three.
  const nibbles = new Uint8Array(68);
  for (let q = 0; q < hex.length; q++) {
    const c = hex.charCodeAt(hex.length - 1 - q);
    nibbles[q] = c <= 57 ? c - 48 : c - 87;
  }
  const mask = (1 << w) - 1;
  for (let i = 0; i < count; i++) {
    const p = w * i + 1;
    const q = p >> 2;
    const window = ((nibbles[q]! | (nibbles[q + 1]! << 4) | (nibbles[q + 2]! << 8)) >> (p & 3)) & mask;
    digits[i] = 2 * window + 1 - (1 << w);
  }
  digits[count] = 1;
  return digits;
}

/** Table entry for digit d: the affine multiple |d|·Q negated when d < 0, added into `acc`. */
function _addDigit(acc: _Jacobian, table: bigint[], offset: number, d: number): void {
  const i = offset + 2 * (((d < 0 ? -d : d) - 1) >> 1);
  const y = table[i + 1]!;
  _sm2AddAffine(acc, table[i]!, d < 0 ? -y : y);
}

/**
 * k·(x, y) for a point (x, y) of order n on the curve and 1 ≤ k < n, in Jacobian coordinates (the
 * caller converts, batching inversions with _sm2Affine). The caller has validated the point (on
 * the curve, not infinity).
 */
export function _sm2Multiply(k: bigint, x: bigint, y: bigint): _Jacobian {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  // The recoding needs an odd scalar: use n − k when k is even (n is odd) and negate the result.
  const negate = (k & 1n) === 0n;
  const digits = _recode(negate ? N - k : k, W);
  const table = _normalize(_oddMultiples({ X: x, Y: y, Z: 1n }, W));
  const acc: _Jacobian = { X: 0n, Y: 1n, Z: 0n };
  _addDigit(acc, table, 0, digits[DIGITS]!);
  for (let i = DIGITS - 1; i >= 0; i--) {
    _double(acc, W);
    _addDigit(acc, table, 0, digits[i]!);
  }
  return _finish(acc, negate);
}

/** −acc when `negate`; k·Q is never infinity for 1 ≤ k < n and Q of order n. */
function _finish(acc: _Jacobian, negate: boolean): _Jacobian {
  if (acc.Z === 0n) throw new RangeError('scalar multiple is infinity');
  if (negate) acc.Y = -acc.Y;
  return acc;
}

/** A comb: for each digit position i, the affine odd multiples of 2^(w·i)·Q. */
export interface _Comb {
  w: number;
  table: bigint[];
}

/**
 * Builds the comb of the point (x, y) for w-bit digits: `positions` · 2^(w−1) affine points, the odd
 * multiples of Q_i = 2^(spacing·i)·Q, by default one position per digit ((⌈256 / w⌉ + 1) · 2^(w−1)
 * points). Q_i and 2·Q_i are computed for every position first and made affine with one inversion;
 * then each odd multiple is the previous one plus 2·Q_i in affine coordinates, one layer (the same
 * multiple at every position) at a time with one inversion for the layer (Montgomery's trick). An
 * affine addition so batched is ~18 BigInt operations with 6 reductions, against 25 with 7 for a
 * mixed addition plus ~13 with 6 to make its result affine: the base-point comb is built on the
 * first seal, so its cost is part of that seal's.
 */
export function _sm2Comb(
  x: bigint,
  y: bigint,
  w: number,
  positions = Math.ceil(256 / w) + 1,
  spacing = w,
): _Comb {
  const bases: _Jacobian[] = [];
  const base: _Jacobian = { X: x, Y: y, Z: 1n };
  for (let i = 0; i < positions; i++) {
    bases.push({ ...base });
    _double(base);
    bases.push({ ...base });
    if (i < positions - 1 && spacing > 1) _double(base, spacing - 1);
  }
  const affine = _normalize(bases);
  const half = 1 << (w - 1);
  // layers[j] = [x_0, y_0, x_1, y_1, …]: (2j + 1)·Q_i for every position i.
  const layers: bigint[][] = [affine.filter((_, k) => k % 4 < 2)];
  const prefix: bigint[] = [];
  for (let j = 1; j < half; j++) {
    // (2j + 1)·Q_i = (2j − 1)·Q_i + 2·Q_i for every i; x(2Q_i) ≠ x((2j − 1)·Q_i) for j < 2^(w−1) ≪ n.
    const last = layers[j - 1]!;
    let prod = 1n;
    for (let i = 0; i < positions; i++) {
      prefix[i] = prod;
      prod = (prod * (affine[4 * i + 2]! - last[2 * i]!)) % P;
    }
    let inv = _invert(prod, P);
    const layer: bigint[] = new Array(2 * positions);
    for (let i = positions - 1; i >= 0; i--) {
      const x1 = last[2 * i]!;
      const y1 = last[2 * i + 1]!;
      const x2 = affine[4 * i + 2]!;
      const lambda = (((inv * prefix[i]!) % P) * (affine[4 * i + 3]! - y1)) % P;
      inv = (inv * (x2 - x1)) % P;
      const x3 = _mod0(lambda * lambda - x1 - x2);
      layer[2 * i] = x3;
      layer[2 * i + 1] = _mod0(lambda * (x1 - x3) - y1);
    }
    layers.push(layer);
  }
  // Position-major, appended in order so that engines keep the array packed.
  const table: bigint[] = [];
  for (let i = 0; i < positions; i++) {
    for (let j = 0; j < half; j++) table.push(layers[j]![2 * i]!, layers[j]![2 * i + 1]!);
  }
  return { w, table };
}

/** k·Q for 1 ≤ k < n from Q's comb: one mixed addition per digit, no doublings. */
export function _sm2MultiplyComb(k: bigint, comb: _Comb): _Jacobian {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  const negate = (k & 1n) === 0n;
  const digits = _recode(negate ? N - k : k, comb.w);
  const stride = 2 << (comb.w - 1);
  const acc: _Jacobian = { X: 0n, Y: 1n, Z: 0n };
  for (let i = digits.length - 1; i >= 0; i--) _addDigit(acc, comb.table, i * stride, digits[i]!);
  return _finish(acc, negate);
}

/**
 * Digit width of the base-point comb: 44 × 32 affine points (about 150 KB), built on the first
 * base-point multiplication, which the first seal after loading the lib pays for once. Against
 * 5-bit digits (53 × 16 points) the larger build adds ~18 M instructions (~4 ms) in JavaScriptCore
 * without JIT (iOS WeChat), and every k·G saves 9 additions: a seal (eight of them) runs 3 % and
 * an open 1.4 % fewer instructions.
 */
const BASE_W = 6;
let baseComb: _Comb | null = null;

/** k·G for 1 ≤ k < n, Jacobian. */
export function _sm2MultiplyBase(k: bigint): _Jacobian {
  baseComb ??= _sm2Comb(GX, GY, BASE_W);
  return _sm2MultiplyComb(k, baseComb);
}

/**
 * Rows of a key's table: the odd multiples ±1…±15 of Q_j = 2^(64·j)·Q for j = 0…3 (4 × 8 affine
 * points, 64 BigInts). The 65 digits of a scalar split into four rows of 16 (the top digit, always
 * 1, joins the last row), and one Horner pass over a row's 16 positions serves all four: k·Q costs
 * 64 doublings and 65 mixed additions instead of 256 doublings and 65 (Lim–Lee's comb, CRYPTO '94,
 * with signed odd digits). Building the rows costs 192 doublings and 28 mixed additions, about one
 * variable-base multiplication, so they pay from a key's second use on.
 */
const ROWS = 4;
const ROW_DIGITS = DIGITS / ROWS;

/** The rows of (x, y) for _sm2MultiplyRows. */
export function _sm2Rows(x: bigint, y: bigint): _Comb {
  return _sm2Comb(x, y, W, ROWS, 256 / ROWS);
}

/** k·Q for 1 ≤ k < n from Q's rows (_sm2Rows). */
export function _sm2MultiplyRows(k: bigint, rows: _Comb): _Jacobian {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  const negate = (k & 1n) === 0n;
  const digits = _recode(negate ? N - k : k, W);
  const stride = 1 << W;
  const table = rows.table;
  const acc: _Jacobian = { X: 0n, Y: 1n, Z: 0n };
  // Digit 64 multiplies 2^256·Q = 2^64·Q_3: the last row's position 16.
  _addDigit(acc, table, (ROWS - 1) * stride, digits[DIGITS]!);
  for (let m = ROW_DIGITS - 1; m >= 0; m--) {
    _double(acc, W);
    for (let j = 0; j < ROWS; j++) _addDigit(acc, table, j * stride, digits[j * ROW_DIGITS + m]!);
  }
  return _finish(acc, negate);
}

/**
 * Public keys seen lately: a key gets its rows on its second use (a reader written to again, a
 * sender whose letters are opened) or when prepared ahead (_sm2PrepareKey), so a key used once
 * costs no more than before. Two generations of at most KEYS keys each, by the low 48 bits of x (x
 * and y are compared in full, y telling ±Q apart): a full young generation becomes the old one and
 * the old one is dropped, which keeps the 64–128 most recently used keys without an LRU's Map
 * iteration, which measured ~12 µs per call in V8. 64 keys hold a letter's recipients (at most 50)
 * prepared while it is written; 128 keys' rows are about 8 000 BigInts.
 */
const KEYS = 64;
type _Key = { x: bigint; y: bigint; rows: _Comb | null };
let young = new Map<number, _Key>();
let old = new Map<number, _Key>();

function _keyId(x: bigint): number {
  return Number(x & 0xffffffffffffn);
}

/** Q's entry if Q was seen lately. */
function _findKey(x: bigint, y: bigint): _Key | null {
  const id = _keyId(x);
  const entry = young.get(id) ?? old.get(id);
  return entry !== undefined && entry.x === x && entry.y === y ? entry : null;
}

/** Files an entry in the young generation (a use or a preparation keeps a key young). */
function _keepKey(entry: _Key): void {
  const id = _keyId(entry.x);
  if (young.get(id) === entry) return;
  if (young.size >= KEYS) {
    old = young;
    young = new Map();
  }
  young.set(id, entry);
}

/**
 * k·Q for a public key Q = (x, y) (validated by the caller) and 1 ≤ k < n: from Q's rows when Q was
 * used or prepared before, by _sm2Multiply otherwise. Only public points belong here; the scalar is
 * not kept.
 */
export function _sm2MultiplyKey(k: bigint, x: bigint, y: bigint): _Jacobian {
  if (k <= 0n || k >= N) throw new RangeError('scalar out of range');
  let entry = _findKey(x, y);
  if (entry === null) entry = { x, y, rows: null };
  else entry.rows ??= _sm2Rows(x, y);
  _keepKey(entry);
  return entry.rows === null ? _sm2Multiply(k, x, y) : _sm2MultiplyRows(k, entry.rows);
}

/**
 * Builds now the rows Q = (x, y) (validated by the caller) would get at its second use, so that its
 * first _sm2MultiplyKey already uses them. True when it built them, false when Q had them.
 */
export function _sm2PrepareKey(x: bigint, y: bigint): boolean {
  const entry = _findKey(x, y) ?? { x, y, rows: null };
  const built = entry.rows === null;
  entry.rows ??= _sm2Rows(x, y);
  _keepKey(entry);
  return built;
}
