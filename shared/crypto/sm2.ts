/**
 * SM2 public-key cryptography (GB/T 32918-2016, also GM/T 0003-2012) on the recommended 256-bit
 * curve (GB/T 32918.5-2017): key pairs, signatures (part 2) and public-key encryption (part 4).
 *
 * Our own, on BigInt (_sm2-curve.ts, _sm2-mul.ts), rather than sm-crypto-v2's `doSignature`/
 * `doEncrypt`: those draw the nonce k from the library's own RNG pool, while here every random value
 * comes from our injected source (so WeChat never signs or encrypts before our pool is filled, and
 * fixed sources give test vectors), and they are several times slower; nor on @noble/curves, whose
 * general Weierstrass code weighs ~27 KB in the mini program lib for the few checks needed here.
 * What the wrapper adds, each a pitfall of the libraries:
 * - signatures always hash Z_A (ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) with ID "1234567812345678",
 *   and are DER-encoded (GM/T 0009-2012 §7.2), so OpenSSL and sm-crypto (`{hash: true, der: true}`)
 *   interoperate;
 * - verification never throws: any malformed key or signature is `false`; r and s are range-checked;
 * - ciphertexts are C1 ‖ C3 ‖ C2 with C1 the uncompressed point 04 ‖ X ‖ Y (65 bytes), where
 *   sm-crypto and sm-crypto-v2 write and expect C1 without the 04;
 * - decryption failures (bad C1, C3 mismatch, wrong key) are all `MifengError('Tampered')`.
 */
import { MifengError } from '../errors';
import { abytes } from '../guards';
import { bigIntToBytes, bytesToBigInt, clean, concatBytes } from './_bytes';
import { _derDecode, _derEncode } from './_der';
import {
  _invert,
  _isOnCurve,
  _mod,
  A,
  B,
  GX,
  GY,
  N,
  P,
  POINT_LENGTH,
  SCALAR_LENGTH,
  UNCOMPRESSED,
} from './_sm2-curve';
import {
  type _Jacobian,
  _sm2Add,
  _sm2Affine,
  _sm2Comb,
  _sm2Multiply,
  _sm2MultiplyBase,
  _sm2MultiplyComb,
  _sm2MultiplyKey,
  _sm2PrepareKey,
} from './_sm2-mul';
import { constantTimeEqual } from './compare';
import { type RandomSource, randomBytes } from './random';
import { _sm3Absorb, _sm3Finish, _sm3Init, sm3 } from './sm3';

/** The default distinguishing identifier (GM/T 0009-2012 §10, GB/T 35276-2017 §11). */
export const SM2_USER_ID = '1234567812345678';

/** An affine point (x, y) of the curve. */
type Affine = [bigint, bigint];

/** C3 is an SM3 digest (GB/T 32918.4-2016 §6.1 A6). */
const C3_LENGTH = 32;
/** A deterministic or broken source must not spin us forever; real sources retry with p < 2^-32. */
const MAX_DRAWS = 64;

/** ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG: the part of Z_A (GB/T 32918.2-2016 §5.5) shared by every key. */
const ZA_PREFIX = (() => {
  const id = new Uint8Array([...SM2_USER_ID].map((c) => c.charCodeAt(0)));
  const entl = id.length * 8;
  return concatBytes(
    new Uint8Array([entl >>> 8, entl & 0xff]),
    id,
    bigIntToBytes(A, 32),
    bigIntToBytes(B, 32),
    bigIntToBytes(GX, 32),
    bigIntToBytes(GY, 32),
  );
})();
/** SM3 state after the first two blocks of ZA_PREFIX (146 bytes), computed once. */
const ZA_STATE = (() => {
  const s = new Int32Array(8);
  _sm3Init(s);
  _sm3Absorb(s, ZA_PREFIX.subarray(0, 128));
  return s;
})();

/** Z_A for `publicKey` (04 ‖ xA ‖ yA) and the default ID. */
function _za(publicKey: Uint8Array): Uint8Array {
  const rest = new Uint8Array(ZA_PREFIX.length - 128 + 64);
  rest.set(ZA_PREFIX.subarray(128));
  rest.set(publicKey.subarray(1), ZA_PREFIX.length - 128);
  const out = new Uint8Array(32);
  _sm3Finish(ZA_STATE.slice(), 128, rest, out, 0);
  return out;
}

/** e = SM3(Z_A ‖ M) as an integer (GB/T 32918.2-2016 §6.1 A1–A2). */
function _digest(za: Uint8Array, message: Uint8Array): bigint {
  return bytesToBigInt(sm3(concatBytes(za, message)));
}

/** A uniform scalar in [1, max] from `random`, by rejection sampling 32-byte draws. */
function _randomScalar(max: bigint, random: RandomSource | undefined): bigint {
  for (let i = 0; i < MAX_DRAWS; i++) {
    const bytes = randomBytes(SCALAR_LENGTH, random);
    const k = bytesToBigInt(bytes);
    clean(bytes);
    if (k >= 1n && k <= max) return k;
  }
  throw new MifengError('RandomNotReady', 'the random source keeps returning unusable scalars');
}

/** The private scalar d, which GB/T 32918.1-2016 §6.1 requires in [1, n-2]. */
function _privateScalar(privateKey: Uint8Array): bigint {
  abytes(privateKey, SCALAR_LENGTH, 'privateKey');
  const d = bytesToBigInt(privateKey);
  if (d < 1n || d > N - 2n) throw new RangeError('privateKey is not a valid SM2 private key');
  return d;
}

/**
 * The public point, or null unless `bytes` is 04 ‖ X ‖ Y with X, Y < p on the curve
 * (GB/T 32918.1-2016 §6.2; the identity has no such encoding, and with cofactor 1 every curve
 * point other than the identity has order n).
 */
function _publicPoint(bytes: unknown): Affine | null {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_LENGTH || bytes[0] !== UNCOMPRESSED) {
    return null;
  }
  const x = bytesToBigInt(bytes.subarray(1, 33));
  const y = bytesToBigInt(bytes.subarray(33));
  return _isOnCurve(x, y) ? [x, y] : null;
}

function _requirePublicPoint(publicKey: Uint8Array): Affine {
  abytes(publicKey, POINT_LENGTH, 'publicKey');
  const point = _publicPoint(publicKey);
  if (point === null) throw new RangeError('publicKey is not a valid SM2 public key');
  return point;
}

/** The affine point of k·G (1 ≤ k < n). */
function _base(k: bigint): Affine {
  return _sm2Affine([_sm2MultiplyBase(k)])[0]!;
}

/** 04 ‖ x ‖ y (GB/T 32918.1-2016 §4.2.8). */
function _pointBytes([x, y]: Affine): Uint8Array {
  const out = new Uint8Array(POINT_LENGTH);
  out[0] = UNCOMPRESSED;
  out.set(bigIntToBytes(x, 32), 1);
  out.set(bigIntToBytes(y, 32), 33);
  return out;
}

/**
 * The public key of a private key and its Z_A, which cost a base-point multiplication to recompute:
 * remembered per private-key array (weakly, so they go when the array goes) together with SM3 of the
 * key bytes, so a caller who changes or wipes the array never gets a stale answer. Every seal asks
 * twice (the sender's key pair is checked, then the signature needs Z_A). No key material is kept.
 */
const ownCache = new WeakMap<Uint8Array, { check: Uint8Array; publicKey: Uint8Array; za: Uint8Array }>();

function _own(privateKey: Uint8Array, d: bigint): { publicKey: Uint8Array; za: Uint8Array } {
  const check = sm3(privateKey);
  const cached = ownCache.get(privateKey);
  if (cached !== undefined && constantTimeEqual(cached.check, check)) return cached;
  const publicKey = _pointBytes(_base(d));
  const entry = { check, publicKey, za: _za(publicKey) };
  ownCache.set(privateKey, entry);
  return entry;
}

/** A new key pair: d uniform in [1, n-2] (GB/T 32918.1-2016 §6.1), public key dG. */
export function sm2GenerateKeyPair(random?: RandomSource): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const d = _randomScalar(N - 2n, random);
  return { privateKey: bigIntToBytes(d, SCALAR_LENGTH), publicKey: _pointBytes(_base(d)) };
}

/** The public key 04 ‖ X ‖ Y of a 32-byte private key. */
export function sm2PublicKey(privateKey: Uint8Array): Uint8Array {
  return _own(privateKey, _privateScalar(privateKey)).publicKey.slice();
}

/** True for a 65-byte 04 ‖ X ‖ Y that lies on the curve (GB/T 32918.1-2016 §6.2). Never throws. */
export function sm2IsValidPublicKey(publicKey: Uint8Array): boolean {
  return _publicPoint(publicKey) !== null;
}

/**
 * SM2 signature of `message` (GB/T 32918.2-2016 §6.1): e = SM3(Z_A ‖ M) with the signer's own
 * public key and ID "1234567812345678", k from `random`, DER-encoded (r, s).
 */
export function sm2Sign(privateKey: Uint8Array, message: Uint8Array, random?: RandomSource): Uint8Array {
  const d = _privateScalar(privateKey);
  abytes(message, undefined, 'message');
  const e = _digest(_own(privateKey, d).za, message);
  const dInv = _invert(d + 1n, N);
  for (let i = 0; i < MAX_DRAWS; i++) {
    const k = _randomScalar(N - 1n, random);
    const r = _mod(e + _base(k)[0], N);
    if (r === 0n || r + k === N) continue;
    const s = _mod(dInv * (k - r * d), N);
    if (s === 0n) continue;
    return _derEncode(r, s);
  }
  throw new MifengError('RandomNotReady', 'the random source keeps returning unusable nonces');
}

/** Verification for a known point and its Z_A (GB/T 32918.2-2016 §7.1 B1–B7). */
function _verify(
  multiplyKey: (t: bigint) => _Jacobian,
  za: Uint8Array,
  message: unknown,
  signature: unknown,
): boolean {
  if (!(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
  const rs = _derDecode(signature);
  if (rs === null) return false;
  const [r, s] = rs;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = (r + s) % N;
  if (t === 0n) return false;
  const e = _digest(za, message);
  // (x1, y1) = s·G + t·P_A, and R = (e + x1) mod n = r (B7) checked without the inversion that
  // x1 = X/Z² would cost: x1 is (r − e) mod n, or that plus n where it is still below p, so it
  // suffices to test X ≡ x1·Z² mod p for those candidates.
  const sum = _sm2MultiplyBase(s);
  _sm2Add(sum, multiplyKey(t));
  if (sum.Z === 0n) return false;
  const zz = (sum.Z * sum.Z) % P;
  for (let x1 = _mod(r - e, N); x1 < P; x1 += N) {
    if ((sum.X - x1 * zz) % P === 0n) return true;
  }
  return false;
}

/**
 * Verifies a DER SM2 signature with ID "1234567812345678". Never throws: malformed input is `false`.
 * From a key's second use on, t·P_A comes from the key's rows (_sm2MultiplyKey), a quarter of the
 * doublings.
 */
export function sm2Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const point = _publicPoint(publicKey);
    if (point === null) return false;
    return _verify((t) => _sm2MultiplyKey(t, point[0], point[1]), _za(publicKey), message, signature);
  } catch {
    return false;
  }
}

/**
 * Prepares `publicKey` for encryption to it: builds now the precomputed rows it would otherwise get
 * at its second use, so that the next sm2Encrypt to it (or sm2Verify by it) costs 64 doublings
 * instead of 256. For a phone that learns its recipients while the letter is being written: the
 * cost (about one variable-base multiplication, a few ms without JIT) is paid then, not when the
 * user presses send. The rows of the 64–128 most recently used keys are kept. True when the rows
 * were built now, false when the key had them. Throws RangeError for an invalid key.
 */
export function sm2PrepareKey(publicKey: Uint8Array): boolean {
  const [x, y] = _requirePublicPoint(publicKey);
  return _sm2PrepareKey(x, y);
}

/** Digit width of a verifier's comb of the key: 65 × 8 affine points (about 70 KB). */
const VERIFIER_WINDOW = 4;

/**
 * A verifier bound to one public key, for a server that checks many signatures by the same sender:
 * Z_A and a comb of multiples of the key are computed once (a few ms), after which t·P_A costs 65
 * mixed additions instead of 64 doublings and 65 additions (sm2Verify with the key's rows) or 256
 * doublings and 65 additions (a key's first use). The returned function behaves like
 * `sm2Verify` (never throws). Throws RangeError now if `publicKey` is not a valid SM2 public key.
 */
export function sm2Verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
  const point = _requirePublicPoint(publicKey);
  const comb = _sm2Comb(point[0], point[1], VERIFIER_WINDOW);
  const za = _za(publicKey);
  const multiplyKey = (t: bigint) => _sm2MultiplyComb(t, comb);
  return (message, signature) => {
    try {
      return _verify(multiplyKey, za, message, signature);
    } catch {
      return false;
    }
  };
}

/** KDF(Z, klen) of GB/T 32918.4-2016 §5.4.3: SM3(Z ‖ ct) for ct = 1, 2, … (32-bit big-endian). */
function _kdf(z: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(length / 32) * 32);
  const input = new Uint8Array(z.length + 4);
  input.set(z);
  for (let ct = 1, off = 0; off < length; ct++, off += 32) {
    input[z.length] = ct >>> 24;
    input[z.length + 1] = ct >>> 16;
    input[z.length + 2] = ct >>> 8;
    input[z.length + 3] = ct;
    const s = new Int32Array(8);
    _sm3Init(s);
    _sm3Finish(s, 0, input, out, off);
  }
  clean(input);
  return out.subarray(0, length);
}

/** x ‖ y, 32 bytes each (GB/T 32918.1-2016 §4.2.6). */
function _coordinates([x, y]: Affine): Uint8Array {
  return concatBytes(bigIntToBytes(x, 32), bigIntToBytes(y, 32));
}

function _allZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/** Largest plaintext we encrypt; SM2 wraps keys here, and KDF needs no more than this. */
const MAX_PLAINTEXT = 1 << 16;

/**
 * SM2 encryption (GB/T 32918.4-2016 §6.1) of a non-empty plaintext to `publicKey`, with k from
 * `random`. Returns C1 ‖ C3 ‖ C2 with C1 = 04 ‖ X ‖ Y: 97 + plaintext length bytes. From the key's
 * second use on, k·P_B comes from its rows (_sm2MultiplyKey).
 */
export function sm2Encrypt(publicKey: Uint8Array, plaintext: Uint8Array, random?: RandomSource): Uint8Array {
  const point = _requirePublicPoint(publicKey);
  return _encrypt((k) => _sm2MultiplyKey(k, point[0], point[1]), plaintext, random);
}

/**
 * sm2Encrypt to the public key of `privateKey`, for a sender who wraps a key to themselves: k·P_B
 * = (k·d mod n)·G is then a base-point multiplication from the precomputed comb instead of a
 * variable-base one. The same ciphertext as `sm2Encrypt(sm2PublicKey(privateKey), …)` for the same
 * k; there is no public key to pass, so none can mismatch.
 */
export function sm2EncryptToSelf(
  privateKey: Uint8Array,
  plaintext: Uint8Array,
  random?: RandomSource,
): Uint8Array {
  const d = _privateScalar(privateKey);
  return _encrypt((k) => _sm2MultiplyBase(_mod(k * d, N)), plaintext, random);
}

/** The encryption of §6.1 A1–A8 given k ↦ k·P_B (Jacobian). */
function _encrypt(
  multiplyKey: (k: bigint) => _Jacobian,
  plaintext: Uint8Array,
  random: RandomSource | undefined,
): Uint8Array {
  abytes(plaintext, undefined, 'plaintext');
  if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT) {
    throw new RangeError(`plaintext must be 1 to ${MAX_PLAINTEXT} bytes, got ${plaintext.length}`);
  }
  const len = plaintext.length;
  for (let i = 0; i < MAX_DRAWS; i++) {
    const k = _randomScalar(N - 1n, random);
    // C1 = k·G and (x2, y2) = k·P_B, converted to affine with one inversion for both.
    const [kg, kp] = _sm2Affine([_sm2MultiplyBase(k), multiplyKey(k)]);
    const c1 = _pointBytes(kg!);
    const x2y2 = _coordinates(kp!);
    const t = _kdf(x2y2, len);
    if (_allZero(t)) {
      clean(x2y2);
      continue;
    }
    const out = new Uint8Array(POINT_LENGTH + C3_LENGTH + len);
    out.set(c1, 0);
    const c3 = sm3(concatBytes(x2y2.subarray(0, 32), plaintext, x2y2.subarray(32)));
    out.set(c3, POINT_LENGTH);
    const c2Offset = POINT_LENGTH + C3_LENGTH;
    for (let j = 0; j < len; j++) out[c2Offset + j] = plaintext[j]! ^ t[j]!;
    clean(x2y2, t);
    return out;
  }
  throw new MifengError('RandomNotReady', 'the random source keeps returning unusable nonces');
}

/** SM2 decryption (GB/T 32918.4-2016 §7.1) of C1 ‖ C3 ‖ C2; any failure is `MifengError('Tampered')`. */
export function sm2Decrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const d = _privateScalar(privateKey);
  abytes(ciphertext, undefined, 'ciphertext');
  if (ciphertext.length < POINT_LENGTH + C3_LENGTH + 1) {
    throw new MifengError('Tampered', 'SM2 ciphertext too short');
  }
  const c1 = _publicPoint(ciphertext.subarray(0, POINT_LENGTH));
  if (c1 === null) throw new MifengError('Tampered', 'C1 is not a point on the curve');
  const x2y2 = _coordinates(_sm2Affine([_sm2Multiply(d, c1[0], c1[1])])[0]!);
  const c2Offset = POINT_LENGTH + C3_LENGTH;
  const len = ciphertext.length - c2Offset;
  const t = _kdf(x2y2, len);
  if (_allZero(t)) {
    clean(x2y2);
    throw new MifengError('Tampered', 'KDF output is zero');
  }
  const plaintext = new Uint8Array(len);
  for (let j = 0; j < len; j++) plaintext[j] = ciphertext[c2Offset + j]! ^ t[j]!;
  const u = sm3(concatBytes(x2y2.subarray(0, 32), plaintext, x2y2.subarray(32)));
  clean(x2y2, t);
  if (!constantTimeEqual(u, ciphertext.subarray(POINT_LENGTH, c2Offset))) {
    clean(plaintext);
    throw new MifengError('Tampered', 'C3 does not match');
  }
  return plaintext;
}
