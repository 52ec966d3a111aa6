/**
 * The user's keys on this device: creating them at registration, unlocking them with the master
 * key, re-sealing the backup under a new master key, and locking again (log out, or a while in the
 * background). The master key never leaves this module's callers; the private key lives in memory
 * only (keyring/state.ts).
 */
import { config } from '../../config';
import {
  base64urlDecode,
  base64urlEncode,
  DEFAULT_BACKUP_ITERATIONS,
  formatFingerprint,
  type Identity,
  isMifengError,
  KEY_EVENT,
  keyQrPayload,
  type MeResponse,
  type MyKeysResponse,
  signKeyChange,
  sm2PublicKey,
} from '../../lib';
import * as api from '../api';
import { createKeys, openBackup, sealBackup } from '../kdf';
import { whenRandomReady } from '../random';
import { refreshProfile, rememberProfile, rememberToken, signIn, signInAfresh } from '../session';
import { rememberOwnKey } from '../transparency';
import { currentIdentity, lock, rotateIdentity, setIdentity } from './state';

export { currentIdentity, earlierIdentities, earlierIdentity, lock, onLock } from './state';

/** Thrown when an action needs the private key and it is locked. */
export class LockedError extends Error {
  readonly code = 'locked';
  constructor() {
    super('The private key is locked: unlock with the master key first');
    this.name = 'LockedError';
  }
}

/** The steps of registration and of a master key change, for the progress indicator. */
export type KeyStep = 'phone' | 'keys' | 'backup' | 'upload' | 'done';

function iterations(): number {
  return config.backupIterations ?? DEFAULT_BACKUP_ITERATIONS;
}

/** The unlocked identity, or LockedError. */
export function requireIdentity(): Identity {
  const identity = currentIdentity();
  if (!identity) throw new LockedError();
  return identity;
}

export function isUnlocked(): boolean {
  return currentIdentity() !== null;
}

/**
 * The own fingerprint (60 digits) and "my key" QR text, from the private key in memory — its public
 * key recomputed here, never taken from a server answer. Null while locked.
 */
export function ownKey(): { fingerprint: string; qr: string } | null {
  const identity = currentIdentity();
  if (!identity) return null;
  const publicKey = sm2PublicKey(identity.privateKey);
  return { fingerprint: formatFingerprint(publicKey), qr: keyQrPayload({ user: identity.user, publicKey }) };
}

/**
 * Registers this account: proves the phone (a getPhoneNumber `code`, or in dev login the typed
 * number; null when already verified), generates the key pair here, seals the private key under the master key (PBKDF2, the slow
 * step) and uploads the public key and the sealed backup. Leaves the keys unlocked.
 */
export async function register(
  input: { name: string; masterKey: string; phone: { code: string } | { phone: string } | null },
  onStep: (step: KeyStep) => void = () => {},
): Promise<MeResponse> {
  const profile = await signIn();
  onStep('phone');
  // null: the phone was already verified (the getPhoneNumber button did it).
  if (input.phone) rememberProfile(await api.setPhone(input.phone));
  onStep('keys');
  // Key generation and the backup run in the key worker, which reports each part as it starts.
  const { identity, backup } = await createKeys(profile.user.id, input.masterKey, iterations(), (phase) => {
    if (phase === 'kdf') onStep('backup');
  });
  onStep('upload');
  const {
    token,
    expiresAt: _,
    ...updated
  } = await api.setKeys({
    name: input.name,
    publicKey: base64urlEncode(identity.publicKey),
    backup,
  });
  rememberToken(token);
  rememberProfile(updated);
  // Made here: the log's register event for it is this phone's doing, not the server's.
  rememberOwnKey(identity.user, identity.publicKey);
  setIdentity(identity);
  onStep('done');
  return updated;
}

/**
 * The user's earlier keys worth opening at unlock, newest first, each with its newest backup: the
 * keys the current one took over from by signed changes, back to the last reset. A key before a
 * reset was lost (or replaced by someone else), so its backup is not tried on every unlock.
 */
export function earlierBackups(keys: MyKeysResponse): MyKeysResponse['backups'] {
  const chain: string[] = [];
  for (let i = keys.history.length - 1; i > 0; i--) {
    if (keys.history[i]!.kind !== KEY_EVENT.SIGNED_CHANGE) break;
    chain.push(keys.history[i - 1]!.keyId);
  }
  const current = keys.history.at(-1)?.keyId;
  // `backups` is newest first: the first record of a key is its newest backup.
  return [...new Set(chain)]
    .filter((id) => id !== current)
    .flatMap((id) => keys.backups.find((b) => b.keyId === id) ?? []);
}

/**
 * Opens the key backup with the master key. A wrong key rejects with MifengError('WrongMasterKey').
 * The same master key then opens the backups of the earlier keys this one replaced by a rotation,
 * so letters sealed to them still open; one the master key does not open (it was changed since) is
 * left locked.
 */
export async function unlock(masterKey: string): Promise<Identity> {
  const profile = await refreshProfile();
  if (!profile.backup || !profile.publicKey) throw new LockedError();
  const publicKey = base64urlDecode(profile.publicKey);
  const privateKey = await openBackup(profile.backup, publicKey, masterKey);
  const identity: Identity = { user: profile.user.id, privateKey, publicKey };
  // Opening the backup with the master key proves the user holds this key (a new phone, or a
  // reset made on another phone): from now on it is one of the user's own in the log.
  rememberOwnKey(identity.user, identity.publicKey);
  const earlier: Identity[] = [];
  try {
    for (const record of earlierBackups(await api.getMyKeys())) {
      const oldPublic = base64urlDecode(record.publicKey);
      try {
        const oldPrivate = await openBackup(record.backup, oldPublic, masterKey);
        earlier.push({ user: identity.user, privateKey: oldPrivate, publicKey: oldPublic });
        rememberOwnKey(identity.user, oldPublic);
      } catch (err) {
        if (!isMifengError(err, 'WrongMasterKey')) throw err;
      }
    }
  } catch (err) {
    for (const old of earlier) old.privateKey.fill(0);
    privateKey.fill(0);
    throw err;
  }
  setIdentity(identity, earlier);
  return identity;
}

/**
 * Replaces the key pair by a new one, vouched for by the current key (a signed key change, which
 * contacts' phones show as the milder warning). The new key is sealed under the same master key —
 * typed again and checked against the current backup first — so the next unlock opens the old key
 * too and letters sealed to it still open. Rejects with WrongMasterKey when it is not the master key.
 */
export async function rotateKey(
  masterKey: string,
  onStep: (step: KeyStep) => void = () => {},
): Promise<void> {
  const old = requireIdentity();
  const profile = await refreshProfile();
  if (!profile.backup || !profile.publicKey) throw new LockedError();
  onStep('backup');
  (await openBackup(profile.backup, old.publicKey, masterKey)).fill(0);
  onStep('keys');
  const { identity, backup } = await createKeys(old.user, masterKey, iterations());
  // Remembered before the upload, so the log's entry for it never looks like someone else's doing.
  rememberOwnKey(identity.user, identity.publicKey);
  onStep('upload');
  const {
    token,
    expiresAt: _,
    ...updated
  } = await api.setKeys({
    name: profile.user.name ?? '',
    publicKey: base64urlEncode(identity.publicKey),
    backup,
    statement: signKeyChange({ old, newPublicKey: identity.publicKey }),
  });
  rememberToken(token);
  rememberProfile(updated);
  // The old key stays in memory beside the new one; the contact book, sealed to it, is sealed to
  // the new key the next time it is opened (services/contacts).
  if (currentIdentity() === old) rotateIdentity(identity);
  onStep('done');
}

/**
 * The way out of a forgotten master key: signs in with WeChat afresh (the server allows a reset
 * only shortly after), makes a new key pair sealed under `newMasterKey` and uploads it as a reset.
 * The name and phone number stay the account's; letters sealed to the old key stay unreadable.
 * Leaves the new key unlocked. The contact book, sealed to the lost key, is the caller's to start
 * over (services/contacts startContactsOver).
 */
export async function resetKeys(
  newMasterKey: string,
  onStep: (step: KeyStep) => void = () => {},
): Promise<MeResponse> {
  const profile = await signInAfresh();
  onStep('keys');
  const { identity, backup } = await createKeys(profile.user.id, newMasterKey, iterations(), (phase) => {
    if (phase === 'kdf') onStep('backup');
  });
  rememberOwnKey(identity.user, identity.publicKey);
  onStep('upload');
  const {
    token,
    expiresAt: _,
    ...updated
  } = await api.resetKeys({
    name: profile.user.name ?? '',
    publicKey: base64urlEncode(identity.publicKey),
    backup,
  });
  rememberToken(token);
  rememberProfile(updated);
  setIdentity(identity);
  onStep('done');
  return updated;
}

/**
 * Re-seals the (unlocked) private key under a new master key and replaces the server's backup,
 * with a statement signed by the key itself: a login token alone cannot replace a backup.
 */
export async function changeMasterKey(
  newMasterKey: string,
  onStep: (step: KeyStep) => void = () => {},
): Promise<void> {
  const identity = requireIdentity();
  const profile = await signIn();
  await whenRandomReady();
  onStep('backup');
  const backup = await sealBackup(identity, newMasterKey, iterations());
  onStep('upload');
  const {
    token,
    expiresAt: _,
    ...updated
  } = await api.setKeys({
    name: profile.user.name ?? '',
    publicKey: base64urlEncode(identity.publicKey),
    backup,
    statement: signKeyChange({ old: identity, newPublicKey: identity.publicKey }),
  });
  rememberToken(token);
  rememberProfile(updated);
  onStep('done');
}

let hiddenAt: number | null = null;
let hideTimer: ReturnType<typeof setTimeout> | null = null;

/** App.onHide: lock after `config.backgroundLockMs` in the background. */
export function appHidden(now = Date.now()): void {
  hiddenAt = now;
  if (hideTimer) clearTimeout(hideTimer);
  hideTimer = setTimeout(() => {
    hideTimer = null;
    lock();
  }, config.backgroundLockMs);
}

/**
 * App.onShow: cancel the timer, and lock anyway if the time away was longer than allowed (timers
 * may be frozen while WeChat keeps the mini program in the background).
 */
export function appShown(now = Date.now()): void {
  if (hideTimer) clearTimeout(hideTimer);
  hideTimer = null;
  if (hiddenAt !== null && now - hiddenAt >= config.backgroundLockMs) lock();
  hiddenAt = null;
}
