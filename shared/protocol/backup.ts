/**
 * Key backups: a private key sealed under its owner's master key (docs/protocol.md §Key backup).
 *
 *   key = PBKDF2-HMAC-SM3(UTF-8(NFC(master key)), salt, iter, BACKUP_KEY_LENGTH)   (GM/T 0091)
 *   ct  = SM4-GCM(key, iv, private key, AAD = ASCII(keyId(public key))) ‖ tag
 *       = PRIVATE_KEY_LENGTH + TAG_LENGTH = BACKUP_CIPHERTEXT_LENGTH bytes
 *
 * Sealing draws salt (16 bytes) then iv (12) from the random source. The master key is normalized
 * to Unicode NFC first, so the same passphrase typed on two keyboards (precomposed or combining
 * accents) opens the same backup. A failed tag means a wrong master key, a backup of another key,
 * or a damaged backup; the three cannot be told apart, and all give `WrongMasterKey`. A key that
 * decrypts but does not belong to the public key gives `Malformed`.
 */
import type { RandomSource } from '../crypto';
import { pbkdf2HmacSm3, randomBytes, sm4GcmDecrypt, sm4GcmEncrypt } from '../crypto';
import { base64urlDecode, base64urlEncode, utf8Encode } from '../encoding';
import { MifengError } from '../errors';
import { abytes, anumber, aobject, astring, isPlainRecord } from '../guards';
import { parseJson } from '../json';
import { parseWith } from './_parse';
import { type Identity, keyId, keyPairMatches } from './identity';
import {
  BACKUP_KDF,
  BACKUP_KEY_LENGTH,
  DEFAULT_BACKUP_ITERATIONS,
  IV_LENGTH,
  KEY_BACKUP_VERSION,
  MAX_BACKUP_ITERATIONS,
  MIN_BACKUP_ITERATIONS,
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  SALT_LENGTH,
} from './limits';
import { type KeyBackup, KeyBackupSchema } from './schema';

export interface SealKeyBackupOptions {
  /** PBKDF2 iterations, MIN_BACKUP_ITERATIONS … MAX_BACKUP_ITERATIONS; default 100 000. */
  iterations?: number;
  /** Defaults to the source installed with setRandomSource(). */
  random?: RandomSource;
}

/**
 * Validates a backup's shape: the parsed value or its JSON text (read with parseJson, so a member
 * given twice is `Malformed`). `UnsupportedVersion` for a numeric `v` other than 1 or a string `kdf`
 * other than "pbkdf2-hmac-sm3"; `Malformed` for anything else wrong, `iter` out of bounds included.
 */
export function parseKeyBackup(input: unknown): KeyBackup {
  const value = typeof input === 'string' ? parseJson(input, 'backup') : input;
  if (!isPlainRecord(value)) throw new MifengError('Malformed', 'backup must be a JSON object');
  if (typeof value.v === 'number' && value.v !== KEY_BACKUP_VERSION) {
    throw new MifengError('UnsupportedVersion', `backup v=${value.v}`);
  }
  if (typeof value.kdf === 'string' && value.kdf !== BACKUP_KDF) {
    throw new MifengError('UnsupportedVersion', `backup kdf=${value.kdf}`);
  }
  return parseWith(KeyBackupSchema, value, 'backup');
}

function masterKeyBytes(masterKey: unknown): Uint8Array {
  const text = astring(masterKey, 'masterKey');
  if (text.length === 0) throw new RangeError('masterKey must not be empty');
  return utf8Encode(text.normalize('NFC'));
}

/** Seals `identity.privateKey` under `masterKey`. */
export function sealKeyBackup(
  identity: Identity,
  masterKey: string,
  options: SealKeyBackupOptions = {},
): KeyBackup {
  const publicKey = abytes(aobject(identity, 'identity').publicKey, PUBLIC_KEY_LENGTH, 'identity.publicKey');
  if (!(identity.privateKey instanceof Uint8Array) || identity.privateKey.length !== PRIVATE_KEY_LENGTH) {
    throw new TypeError(`identity.privateKey must be a Uint8Array of ${PRIVATE_KEY_LENGTH} bytes`);
  }
  const iterations = anumber(
    options.iterations ?? DEFAULT_BACKUP_ITERATIONS,
    MIN_BACKUP_ITERATIONS,
    MAX_BACKUP_ITERATIONS,
    'iterations',
  );
  // A backup of a key that does not match its public key would unlock to something useless.
  if (!keyPairMatches(identity.privateKey, publicKey)) {
    throw new MifengError('Malformed', 'identity.publicKey does not match its privateKey');
  }
  const password = masterKeyBytes(masterKey);
  const salt = randomBytes(SALT_LENGTH, options.random);
  const iv = randomBytes(IV_LENGTH, options.random);
  const key = pbkdf2HmacSm3(password, salt, iterations, BACKUP_KEY_LENGTH);
  try {
    const ct = sm4GcmEncrypt(key, iv, identity.privateKey, utf8Encode(keyId(publicKey)));
    return {
      v: KEY_BACKUP_VERSION,
      kdf: BACKUP_KDF,
      iter: iterations,
      salt: base64urlEncode(salt),
      iv: base64urlEncode(iv),
      ct: base64urlEncode(ct),
    };
  } finally {
    key.fill(0);
    password.fill(0);
  }
}

/**
 * Opens a backup of the private key belonging to `publicKey`. Throws what parseKeyBackup throws,
 * then `WrongMasterKey` when the tag fails, `Malformed` when the key inside does not match.
 */
export function unlockKeyBackup(backup: unknown, publicKey: Uint8Array, masterKey: string): Uint8Array {
  abytes(publicKey, PUBLIC_KEY_LENGTH, 'publicKey');
  const password = masterKeyBytes(masterKey);
  try {
    const parsed = parseKeyBackup(backup);
    const key = pbkdf2HmacSm3(password, base64urlDecode(parsed.salt), parsed.iter, BACKUP_KEY_LENGTH);
    let privateKey: Uint8Array;
    try {
      privateKey = sm4GcmDecrypt(
        key,
        base64urlDecode(parsed.iv),
        base64urlDecode(parsed.ct),
        utf8Encode(keyId(publicKey)),
      );
    } catch (cause) {
      throw new MifengError('WrongMasterKey', undefined, { cause });
    } finally {
      key.fill(0);
    }
    // The tag proves the master key; a mismatch here means whoever held it sealed the wrong key.
    if (!keyPairMatches(privateKey, publicKey)) {
      privateKey.fill(0);
      throw new MifengError('Malformed', 'the backup holds a key that does not belong to publicKey');
    }
    return privateKey;
  } finally {
    password.fill(0);
  }
}
