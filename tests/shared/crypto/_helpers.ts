// Small helpers for the crypto tests, like noble-hashes `test/utils.ts`.
import { webcrypto } from 'node:crypto';
import type { RandomSource } from '../../../shared/crypto/index';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const unhex = (text: string): Uint8Array =>
  Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Node's CSPRNG, as the server installs it. */
export const nodeRandom: RandomSource = (length) => webcrypto.getRandomValues(new Uint8Array(length));

/** A source that returns the given byte strings in order (for fixed nonces), then fails. */
export function fixedRandom(...values: Uint8Array[]): RandomSource {
  const queue = [...values];
  return (length) => {
    const next = queue.shift();
    if (!next || next.length !== length) throw new Error(`fixedRandom: no ${length}-byte value queued`);
    return Uint8Array.from(next);
  };
}

/** A copy of `bytes` with byte `index` XORed with `mask`. */
export function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index]! ^= mask;
  return copy;
}
