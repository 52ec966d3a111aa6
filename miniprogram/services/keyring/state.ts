/**
 * The unlocked identity (user id + SM2 key pair), held in memory only — never in storage, never
 * sent anywhere. Separate from keyring/index.ts so that session can drop it without a cycle.
 *
 * Beside the current key it holds the user's earlier keys that the same master key opened (their
 * backups stay on the server after a rotation), so letters sealed to an earlier key still open.
 */
import { type Identity, keyId } from '../../lib';

let identity: Identity | null = null;
let earlier: Identity[] = [];
const lockListeners = new Set<() => void>();

/**
 * Calls `listener` whenever the private key is dropped (background lock, "lock now", log out), so a
 * page can clear what it decrypted. Returns the function that stops listening.
 */
export function onLock(listener: () => void): () => void {
  lockListeners.add(listener);
  return () => lockListeners.delete(listener);
}

export function setIdentity(value: Identity, earlierKeys: Identity[] = []): void {
  lock();
  identity = value;
  earlier = earlierKeys;
}

/**
 * Makes `next` the current key after a rotation, keeping the one it replaces among the earlier keys
 * (letters sealed to it still open). Not a lock: nothing a page shows is dropped.
 */
export function rotateIdentity(next: Identity): void {
  if (identity) earlier = [identity, ...earlier];
  identity = next;
}

/** The unlocked identity, or null when locked. */
export function currentIdentity(): Identity | null {
  return identity;
}

/** The unlocked earlier key with keyId `id`, or null. */
export function earlierIdentity(id: string): Identity | null {
  return earlier.find((e) => keyId(e.publicKey) === id) ?? null;
}

/** Every unlocked earlier key, newest first. */
export function earlierIdentities(): readonly Identity[] {
  return earlier;
}

/** Drops the private keys: wipes the bytes we hold, then forgets them. */
export function lock(): void {
  if (!identity) return;
  identity.privateKey.fill(0);
  for (const old of earlier) old.privateKey.fill(0);
  identity = null;
  earlier = [];
  for (const listener of [...lockListeners]) listener();
}
