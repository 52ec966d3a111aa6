/**
 * Identities (a user id and an SM2 key pair), public-key fingerprints and keyIds
 * (docs/protocol.md §Identities and fingerprints).
 *
 * - fingerprint = SM3(04‖X‖Y), 32 bytes;
 * - keyId = base64url(fingerprint[0..16]), 22 characters;
 * - the human rendering: the fingerprint read as a big-endian unsigned integer N,
 *   N mod 10^60 written as 60 decimal digits (leading zeros kept), in 12 groups of 5 separated
 *   by single spaces — the shape of Signal's safety numbers, about 199 bits.
 */
import type { RandomSource } from '../crypto';
import { sm2GenerateKeyPair, sm2IsValidPublicKey, sm2PublicKey, sm3 } from '../crypto';
import { base64urlDecode, base64urlEncode } from '../encoding';
import { MifengError } from '../errors';
import { abytes } from '../guards';
import { parseWith } from './_parse';
import { KEY_ID_LENGTH, PUBLIC_KEY_LENGTH, UNCOMPRESSED_POINT_PREFIX } from './limits';
import {
  type IdentityJson,
  IdentityJsonSchema,
  type PublicIdentityJson,
  PublicIdentityJsonSchema,
  UserIdSchema,
} from './schema';

/** A user and their SM2 key pair, as bytes. */
export interface Identity {
  user: string;
  /** 32-byte scalar. */
  privateKey: Uint8Array;
  /** 65-byte uncompressed point 04‖X‖Y. */
  publicKey: Uint8Array;
}

/** A user and their public key: what a sender needs to address a letter. */
export interface PublicIdentity {
  user: string;
  publicKey: Uint8Array;
}

/** Groups in the human-readable fingerprint. */
export const FINGERPRINT_GROUPS = 12;
/** Decimal digits per group. */
export const FINGERPRINT_GROUP_DIGITS = 5;
const GROUP_MODULUS = 10 ** FINGERPRINT_GROUP_DIGITS;

function assertPublicKeyBytes(publicKey: unknown): asserts publicKey is Uint8Array {
  const bytes = abytes(publicKey, undefined, 'publicKey');
  if (bytes.length !== PUBLIC_KEY_LENGTH || bytes[0] !== UNCOMPRESSED_POINT_PREFIX) {
    throw new RangeError(`publicKey must be ${PUBLIC_KEY_LENGTH} bytes starting with 04`);
  }
}

/** Throws `Malformed` unless `user` is a valid user id. */
export function assertUserId(user: unknown): asserts user is string {
  parseWith(UserIdSchema, user, 'user');
}

/** Generates a fresh SM2 key pair for `user`. */
export function generateIdentity(user: string, random?: RandomSource): Identity {
  assertUserId(user);
  const { privateKey, publicKey } = sm2GenerateKeyPair(random);
  return { user, privateKey, publicKey };
}

/** SM3 of the uncompressed public key (32 bytes). */
export function fingerprint(publicKey: Uint8Array): Uint8Array {
  assertPublicKeyBytes(publicKey);
  return sm3(publicKey);
}

/** base64url of the first 16 bytes of the fingerprint: how envelopes and the API name a key. */
export function keyId(publicKey: Uint8Array): string {
  return base64urlEncode(fingerprint(publicKey).subarray(0, KEY_ID_LENGTH));
}

/** The fingerprint as 12 groups of 5 decimal digits, e.g. `"03417 88201 … 55120"`. */
export function formatFingerprint(publicKey: Uint8Array): string {
  const number = Array.from(fingerprint(publicKey));
  const groups: string[] = [];
  // Long division of the big-endian number by 10^5, least significant group first.
  for (let g = 0; g < FINGERPRINT_GROUPS; g++) {
    let remainder = 0;
    for (let i = 0; i < number.length; i++) {
      const value = remainder * 256 + number[i]!;
      number[i] = Math.floor(value / GROUP_MODULUS);
      remainder = value % GROUP_MODULUS;
    }
    groups.unshift(String(remainder).padStart(FINGERPRINT_GROUP_DIGITS, '0'));
  }
  return groups.join(' ');
}

/** The JSON form of an identity (identity files of the CLI). */
export function identityToJson(identity: Identity): IdentityJson {
  return {
    user: identity.user,
    privateKey: base64urlEncode(identity.privateKey),
    publicKey: base64urlEncode(identity.publicKey),
  };
}

/**
 * Whether `publicKey` is the public key of `privateKey` (false too when `privateKey` is no valid
 * SM2 scalar): the one key-pair check of the protocol's parsers and sealers.
 */
export function keyPairMatches(privateKey: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return base64urlEncode(sm2PublicKey(privateKey)) === base64urlEncode(publicKey);
  } catch {
    return false;
  }
}

/** Parses an identity file; `Malformed` unless the public key belongs to the private key. */
export function identityFromJson(json: unknown): Identity {
  const parsed = parseWith(IdentityJsonSchema, json, 'identity');
  const privateKey = base64urlDecode(parsed.privateKey);
  const publicKey = base64urlDecode(parsed.publicKey);
  if (!keyPairMatches(privateKey, publicKey)) {
    throw new MifengError(
      'Malformed',
      'identity: publicKey does not match privateKey (or privateKey is no SM2 scalar)',
    );
  }
  return { user: parsed.user, privateKey, publicKey };
}

/** The JSON form of a public identity. */
export function publicIdentityToJson(identity: PublicIdentity): PublicIdentityJson {
  return { user: identity.user, publicKey: base64urlEncode(identity.publicKey) };
}

/** Parses `{user, publicKey}`; `Malformed` unless the key is a point on the SM2 curve. */
export function publicIdentityFromJson(json: unknown): PublicIdentity {
  const parsed = parseWith(PublicIdentityJsonSchema, json, 'public identity');
  const publicKey = base64urlDecode(parsed.publicKey);
  if (!sm2IsValidPublicKey(publicKey))
    throw new MifengError('Malformed', 'publicKey is not on the SM2 curve');
  return { user: parsed.user, publicKey };
}
