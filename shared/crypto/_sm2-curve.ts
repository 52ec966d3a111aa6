/**
 * The SM2 recommended curve y² = x³ + ax + b over F_p with base point G of prime order n
 * (GB/T 32918.5-2017 §2, identical to GM/T 0003.5-2012), and the modular helpers the SM2 modules
 * share: the one home of these constants. Not part of the public surface.
 */

/** Curve parameters, GB/T 32918.5-2017 §2. a = p − 3, which the doubling in _sm2-mul.ts relies on. */
export const P = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
export const A = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC');
export const B = BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93');
export const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
export const GX = BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7');
export const GY = BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0');

/** Byte lengths: scalars and coordinates (GB/T 32918.1-2016 §4.2.6), uncompressed points (§4.2.8). */
export const SCALAR_LENGTH = 32;
export const POINT_LENGTH = 65;
export const UNCOMPRESSED = 0x04;

/** a mod m in [0, m). */
export function _mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * a⁻¹ mod m for a prime m by the extended Euclidean algorithm with Lehmer's speed-up (Knuth, TAOCP
 * vol. 2, §4.5.2, Algorithm L): the quotients are found on the leading 48 bits of the remainders as
 * Numbers for as long as they are certain, and the BigInts are updated once per ~24 bits instead of
 * once per quotient. In JavaScriptCore without JIT each BigInt operation costs ~0.5 µs and a Number
 * operation ~10 ns, so this is several times faster than one BigInt division per step. Only the
 * coefficient of a is tracked. RangeError for a ≡ 0.
 */
export function _invert(a: bigint, m: bigint): bigint {
  let r0 = m;
  let r1 = _mod(a, m);
  if (r1 === 0n) throw new RangeError('zero has no inverse');
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    // x, y: r0 and r1 shifted right alike so that x < 2^49.
    const bits = Math.floor(Math.log2(Number(r0)));
    const shift = bits > 47 ? BigInt(bits - 47) : 0n;
    let x = Number(r0 >> shift);
    let y = Number(r1 >> shift);
    let A = 1;
    let B = 0;
    let C = 0;
    let D = 1;
    // (x + A)/(y + C) and (x + B)/(y + D) bracket the quotient of the full remainders.
    while (y + C > 0 && y + D > 0) {
      const q = _floorDiv(x + A, y + C);
      if (q !== _floorDiv(x + B, y + D)) break;
      let T = A - q * C;
      A = C;
      C = T;
      T = B - q * D;
      B = D;
      D = T;
      T = x - q * y;
      x = y;
      y = T;
    }
    if (B === 0) {
      // Not even the first quotient is certain from 48 bits: one full division step.
      const q = r0 / r1;
      const r2 = r0 - q * r1;
      r0 = r1;
      r1 = r2;
      const t2 = t0 - q * t1;
      t0 = t1;
      t1 = t2;
    } else {
      const a0 = BigInt(A);
      const b0 = BigInt(B);
      const c0 = BigInt(C);
      const d0 = BigInt(D);
      const r2 = a0 * r0 + b0 * r1;
      r1 = c0 * r0 + d0 * r1;
      r0 = r2;
      const t2 = a0 * t0 + b0 * t1;
      t1 = c0 * t0 + d0 * t1;
      t0 = t2;
    }
  }
  return _mod(t0, m);
}

/** ⌊u / v⌋ for integers 0 ≤ u < 2^51, 0 < v: the division may round up to the next integer. */
function _floorDiv(u: number, v: number): number {
  const q = Math.floor(u / v);
  return q * v > u ? q - 1 : q;
}

/** True if (x, y) with 0 ≤ x, y < p satisfies the curve equation (GB/T 32918.1-2016 §6.2 b). */
export function _isOnCurve(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= P || y < 0n || y >= P) return false;
  return (y * y - x * (x * x + A) - B) % P === 0n;
}
