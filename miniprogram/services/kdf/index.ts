/**
 * PBKDF2 off the logic thread. Making, sealing and opening the key backup (PBKDF2-HMAC-SM3, seconds
 * on iOS) run in the key worker (./worker.ts), so the page stays responsive and its CSS-animated
 * progress keeps moving; without a worker the same work runs on the logic thread. Sealing a letter
 * to many recipients goes there too (./letter.ts).
 */
import {
  base64urlDecode,
  base64urlEncode,
  generateIdentity,
  type Identity,
  IV_LENGTH,
  type KeyBackupJson,
  PRIVATE_KEY_LENGTH,
  randomBytes,
  SALT_LENGTH,
  sealKeyBackup,
  unlockKeyBackup,
} from '../../lib';
import type { KdfRequest } from '../../workers/kdf/messages';
import { whenRandomReady } from '../random';
import { randomFromBytes } from './stream';
import { type KdfProgress, requestId, run } from './worker';

export { LOGIC_THREAD_MAX_RECIPIENTS, sealLetter } from './letter';
export { cancelKdf, KdfCancelledError, type KdfPhase, type KdfProgress } from './worker';

/**
 * Random bytes for a key pair: two 32-byte draws, because the rejection sampling of the private
 * scalar needs a second one about once in 2^32 key pairs.
 */
const KEYGEN_RANDOM_LENGTH = 2 * PRIVATE_KEY_LENGTH;

/**
 * Makes `user` a new key pair and seals it under `masterKey` (PBKDF2 with `iterations`):
 * registration. Resolves to the identity and its backup.
 */
export async function createKeys(
  user: string,
  masterKey: string,
  iterations: number,
  onProgress: KdfProgress = () => {},
): Promise<{ identity: Identity; backup: KeyBackupJson }> {
  await whenRandomReady();
  const random = randomBytes(KEYGEN_RANDOM_LENGTH + SALT_LENGTH + IV_LENGTH);
  const request: KdfRequest = {
    id: requestId(),
    op: 'create',
    masterKey,
    iterations,
    random: base64urlEncode(random),
  };
  return run(
    request,
    'created',
    onProgress,
    (reply) => {
      const privateKey = base64urlDecode(reply.privateKey);
      const publicKey = base64urlDecode(reply.publicKey);
      return { identity: { user, privateKey, publicKey }, backup: reply.backup };
    },
    () => {
      // The same draws as the worker: the key pair's, then salt and IV.
      const source = randomFromBytes(random);
      const identity = generateIdentity(user, source);
      const backup = sealKeyBackup(identity, masterKey, { iterations, random: source }) as KeyBackupJson;
      return { identity, backup };
    },
  ).finally(() => random.fill(0));
}

/** Seals the private key under `masterKey` (PBKDF2 with `iterations`) into a key backup. */
export async function sealBackup(
  identity: { privateKey: Uint8Array; publicKey: Uint8Array },
  masterKey: string,
  iterations: number,
  onProgress: KdfProgress = () => {},
): Promise<KeyBackupJson> {
  await whenRandomReady();
  // The worker has no wx.getRandomValues: it gets the salt and IV bytes from this thread's pool.
  const random = randomBytes(SALT_LENGTH + IV_LENGTH);
  const request: KdfRequest = {
    id: requestId(),
    op: 'seal',
    privateKey: base64urlEncode(identity.privateKey),
    publicKey: base64urlEncode(identity.publicKey),
    masterKey,
    iterations,
    random: base64urlEncode(random),
  };
  return run(
    request,
    'sealed',
    onProgress,
    (reply) => reply.backup,
    () =>
      sealKeyBackup({ user: '', ...identity }, masterKey, {
        iterations,
        random: randomFromBytes(random),
      }) as KeyBackupJson,
  ).finally(() => random.fill(0));
}

/** Opens `backup` with `masterKey`; rejects with MifengError('WrongMasterKey') for a wrong key. */
export function openBackup(
  backup: KeyBackupJson,
  publicKey: Uint8Array,
  masterKey: string,
  onProgress: KdfProgress = () => {},
): Promise<Uint8Array> {
  const request: KdfRequest = {
    id: requestId(),
    op: 'unlock',
    backup,
    publicKey: base64urlEncode(publicKey),
    masterKey,
  };
  return run(
    request,
    'unlocked',
    onProgress,
    (reply) => base64urlDecode(reply.privateKey),
    () => unlockKeyBackup(backup, publicKey, masterKey),
  );
}
