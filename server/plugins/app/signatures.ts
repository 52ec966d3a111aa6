/**
 * `fastify.signatures`: checks envelope signatures against registered keys — the hot spot of
 * `POST /envelopes`.
 *
 * Public keys never change once registered (rotation adds a new key id), so each key's parsed
 * point and its precomputed multiples (`sm2Verifier`) are cached by key id, bounded LRU.
 * The check itself is shared/protocol's: `signedBytes` (RFC 8785 of the envelope without `sig`)
 * verified with SM3-with-SM2 over the default ID.
 */
import fp from 'fastify-plugin';
import { sm2Verifier } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import type { Envelope } from '../../../shared/protocol';
import { keyId as keyIdOf, signedBytes } from '../../../shared/protocol';

/** How many keys keep their precomputation in memory (about 40 KB each). */
export const VERIFIER_CACHE_SIZE = 5000;

interface CachedKey {
  publicKey: string;
  verify: (message: Uint8Array, signature: Uint8Array) => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    signatures: {
      /** The public key (base64url) registered under `keyId`, or null. Cached. */
      publicKey(keyId: string): Promise<string | null>;
      /** True when the envelope's `sig` verifies under its `senderKey` (a key of `senderId`). */
      verifyEnvelope(envelope: Envelope, senderId: string): Promise<boolean>;
    };
  }
}

export default fp(
  async (fastify) => {
    const cache = new Map<string, CachedKey>();

    async function load(keyId: string): Promise<(CachedKey & { userId: string }) | null> {
      const hit = cache.get(keyId);
      if (hit) {
        // Refresh its place in the LRU order.
        cache.delete(keyId);
        cache.set(keyId, hit);
        return { ...hit, userId: '' };
      }
      const key = await fastify.usersRepository.findKey(keyId);
      if (!key || keyIdOf(key.publicKey) !== keyId) return null;
      const entry: CachedKey = {
        publicKey: base64urlEncode(key.publicKey),
        verify: sm2Verifier(key.publicKey),
      };
      cache.set(keyId, entry);
      if (cache.size > VERIFIER_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return { ...entry, userId: key.userId };
    }

    fastify.decorate('signatures', {
      async publicKey(keyId: string) {
        return (await load(keyId))?.publicKey ?? null;
      },
      async verifyEnvelope(envelope: Envelope, _senderId: string) {
        // The caller has already checked that senderKey is the sender's current key.
        const key = await load(envelope.senderKey);
        if (!key) return false;
        try {
          return key.verify(signedBytes(envelope), base64urlDecode(envelope.sig));
        } catch {
          return false;
        }
      },
    });
  },
  { name: 'signatures', dependencies: ['users-repository'] },
);
