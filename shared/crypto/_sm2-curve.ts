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
 * a⁻¹ mod m for a prime m by the extended Euclidean algorithm, tracking only the coefficient of a
 * (one division, two multiplications and two subtractions per step). RangeError for a ≡ 0.
 */
export function _invert(a: bigint, m: bigint): bigint {
  let r0 = m;
  let r1 = _mod(a, m);
  if (r1 === 0n) throw new RangeError('zero has no inverse');
  let t0 = 0n;
  let t1 = 1n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    const r2 = r0 - q * r1;
    r0 = r1;
    r1 = r2;
    const t2 = t0 - q * t1;
    t0 = t1;
    t1 = t2;
  }
  return _mod(t0, m);
}

/** True if (x, y) with 0 ≤ x, y < p satisfies the curve equation (GB/T 32918.1-2016 §6.2 b). */
export function _isOnCurve(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= P || y < 0n || y >= P) return false;
  return (y * y - x * (x * x + A) - B) % P === 0n;
}
