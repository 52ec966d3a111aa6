/**
 * Key-change statements: a user's current (old) key vouches for the key that replaces it
 * (docs/protocol.md §10).
 *
 *   statement = { v: 1, type: "mifeng-key-change", user, oldKey, newKey, newPublicKey, at, sig }
 *   sig       = DER SM2 signature by the OLD private key over UTF-8(JCS(statement without sig)),
 *               ID 1234567812345678 (the envelope's signature scheme)
 *
 * `oldKey` and `newKey` are keyIds; `newKey` must be keyId(newPublicKey). `oldKey` may equal
 * `newKey`: the key then vouches for itself, which is how a user re-seals their backup or renames
 * without a token alone being enough. Signing draws only what the SM2 signature needs.
 */
import type { RandomSource } from '../crypto';
import { sm2Sign, sm2Verify } from '../crypto';
import { base64urlDecode, base64urlEncode, utf8Encode } from '../encoding';
import { MifengError } from '../errors';
import { adate, aobject, isPlainRecord } from '../guards';
import { parseJson } from '../json';
import { parseWith } from './_parse';
import { canonicalize } from './canonical';
import { assertUserId, type Identity, keyId, keyPairMatches } from './identity';
import { KEY_CHANGE_TYPE, KEY_CHANGE_VERSION } from './limits';
import { type KeyChange, KeyChangeSchema, type UnsignedKeyChange } from './schema';

export interface KeyChangeInput {
  /** The key being replaced, with its private half: it signs. */
  old: Identity;
  /** The 65-byte public key taking over (may be `old.publicKey` itself). */
  newPublicKey: Uint8Array;
}

export interface SignKeyChangeOptions {
  /** The statement's `at`; defaults to the current time. */
  now?: Date;
  /** Defaults to the source installed with setRandomSource(). */
  random?: RandomSource;
}

/** What a statement is checked against: whose it must be, and the two keys it must link. */
export interface KeyChangeExpectation {
  user: string;
  oldPublicKey: Uint8Array;
  newPublicKey: Uint8Array;
}

/**
 * Validates a statement's shape (not its signature): the parsed value or its JSON text (read with
 * parseJson, so a member given twice is `Malformed`). `UnsupportedVersion` for a numeric `v` other
 * than 1; `Malformed` for anything else, `newKey` that is not keyId(newPublicKey) included.
 */
export function parseKeyChange(input: unknown): KeyChange {
  const value = typeof input === 'string' ? parseJson(input, 'key change') : input;
  if (!isPlainRecord(value)) throw new MifengError('Malformed', 'key change must be a JSON object');
  if (typeof value.v === 'number' && value.v !== KEY_CHANGE_VERSION) {
    throw new MifengError('UnsupportedVersion', `key change v=${value.v}`);
  }
  const parsed = parseWith(KeyChangeSchema, value, 'key change');
  if (parsed.newKey !== keyId(base64urlDecode(parsed.newPublicKey))) {
    throw new MifengError('Malformed', 'key change: newKey is not the keyId of newPublicKey');
  }
  return parsed;
}

/** The bytes the old key signs: UTF-8(JCS(statement without sig)). */
export function keyChangeSignedBytes(statement: UnsignedKeyChange): Uint8Array {
  const { v, type, user, oldKey, newKey, newPublicKey, at } = statement;
  return utf8Encode(canonicalize({ v, type, user, oldKey, newKey, newPublicKey, at }));
}

/** Signs a statement that `input.old` hands over to `input.newPublicKey`. */
export function signKeyChange(input: KeyChangeInput, options: SignKeyChangeOptions = {}): KeyChange {
  aobject(input, 'input');
  const { old, newPublicKey } = input;
  aobject(old, 'old');
  assertUserId(old.user);
  if (!keyPairMatches(old.privateKey, old.publicKey)) {
    throw new MifengError('Malformed', 'old.publicKey does not match its privateKey (or that is no SM2 key)');
  }
  const unsigned: UnsignedKeyChange = {
    v: KEY_CHANGE_VERSION,
    type: KEY_CHANGE_TYPE,
    user: old.user,
    oldKey: keyId(old.publicKey),
    newKey: keyId(newPublicKey),
    newPublicKey: base64urlEncode(newPublicKey),
    at: adate(options.now ?? new Date(), 'now').toISOString(),
  };
  const sig = sm2Sign(old.privateKey, keyChangeSignedBytes(unsigned), options.random);
  return parseKeyChange({ ...unsigned, sig: base64urlEncode(sig) });
}

/**
 * True when the statement is `expected.user`'s, names exactly the two expected keys, and its
 * signature verifies under the old one. Never throws for a bad statement.
 */
export function verifyKeyChange(statement: KeyChange, expected: KeyChangeExpectation): boolean {
  try {
    return (
      statement.user === expected.user &&
      statement.oldKey === keyId(expected.oldPublicKey) &&
      statement.newKey === keyId(expected.newPublicKey) &&
      statement.newPublicKey === base64urlEncode(expected.newPublicKey) &&
      sm2Verify(expected.oldPublicKey, keyChangeSignedBytes(statement), base64urlDecode(statement.sig))
    );
  } catch {
    return false;
  }
}
