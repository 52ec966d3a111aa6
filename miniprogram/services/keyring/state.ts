/**
 * The unlocked identity (user id + SM2 key pair), held in memory only — never in storage, never
 * sent anywhere. Separate from keyring/index.ts so that session can drop it without a cycle.
 */
import type { Identity } from '../../lib';

let identity: Identity | null = null;
const lockListeners = new Set<() => void>();

/**
 * Calls `listener` whenever the private key is dropped (background lock, "lock now", log out), so a
 * page can clear what it decrypted. Returns the function that stops listening.
 */
export function onLock(listener: () => void): () => void {
  lockListeners.add(listener);
  return () => lockListeners.delete(listener);
}

export function setIdentity(value: Identity): void {
  lock();
  identity = value;
}

/** The unlocked identity, or null when locked. */
export function currentIdentity(): Identity | null {
  return identity;
}

/** Drops the private key: wipes the bytes we hold, then forgets them. */
export function lock(): void {
  if (!identity) return;
  identity.privateKey.fill(0);
  identity = null;
  for (const listener of [...lockListeners]) listener();
}
