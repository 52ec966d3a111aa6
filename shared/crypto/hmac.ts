/**
 * HMAC-SM3: RFC 2104 message authentication over SM3 (as GB/T 15852.2 and GM/T 0091 use it).
 *
 * The wrapper adds precomputed pad states: the inner and outer states after absorbing
 * `K ^ ipad` and `K ^ opad` are computed once per key, so PBKDF2's 100 000 HMACs each cost two
 * compressions and no pad work.
 */
import { abytes } from '../guards';
import { clean } from './_bytes';
import { _SM3_BLOCK, _sm3Absorb, _sm3Finish, _sm3Init, sm3 } from './sm3';

/** RFC 2104 §2: ipad = 0x36 and opad = 0x5c repeated over the block. */
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * SM3 states after absorbing `K ^ ipad` (inner) and `K ^ opad` (outer), where K is the key
 * (hashed first when longer than a block, RFC 2104 §2). Callers clean them after use.
 */
export function _hmacSm3States(key: Uint8Array): { inner: Int32Array; outer: Int32Array } {
  const k = key.length > _SM3_BLOCK ? sm3(key) : key;
  const pad = new Uint8Array(_SM3_BLOCK);
  pad.set(k);
  if (k !== key) clean(k);
  for (let i = 0; i < _SM3_BLOCK; i++) pad[i]! ^= IPAD;
  const inner = new Int32Array(8);
  _sm3Init(inner);
  _sm3Absorb(inner, pad);
  for (let i = 0; i < _SM3_BLOCK; i++) pad[i]! ^= IPAD ^ OPAD;
  const outer = new Int32Array(8);
  _sm3Init(outer);
  _sm3Absorb(outer, pad);
  clean(pad);
  return { inner, outer };
}

/** HMAC-SM3(key, data), 32 bytes. Keys of any length are accepted, as RFC 2104 allows. */
export function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, undefined, 'key');
  abytes(data, undefined, 'data');
  const { inner, outer } = _hmacSm3States(key);
  const out = new Uint8Array(32);
  _sm3Finish(inner, _SM3_BLOCK, data, out, 0);
  _sm3Finish(outer, _SM3_BLOCK, out, out, 0);
  clean(inner, outer);
  return out;
}
