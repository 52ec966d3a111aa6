/**
 * `fastify.signatures`: checks envelope signatures against registered keys — the hot spot of
 * `POST /envelopes`.
 *
 * Public keys never change once registered (rotation adds a new key id), so each key's parsed
 * point and its precomputed multiples (`sm2Verifier`) are cached by key id, bounded LRU.
 * The check itself is shared/protocol's: `signedBytes` (RFC 8785 of the envelope without `sig`)
 * verified with SM3-with-SM2 over the default ID. With `VERIFY_WORKERS` > 0 it runs on that many
 * worker threads (verify-worker.ts), round robin, so the event loop keeps serving while curves
 * are multiplied; with 0 it runs inline.
 */
import { Worker } from 'node:worker_threads';
import fp from 'fastify-plugin';
import { sm2Verifier } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import type { Envelope } from '../../../shared/protocol';
import { keyId as keyIdOf, signedBytes } from '../../../shared/protocol';

/** How many keys keep their precomputation in memory (about 40 KB each). */
export const VERIFIER_CACHE_SIZE = 5000;

interface CachedKey {
  userId: string;
  publicKey: string;
  /** Built on first inline use (the workers keep their own). */
  verify?: (message: Uint8Array, signature: Uint8Array) => boolean;
}

/** Outcome of checking an envelope's signature. */
export type SignatureCheck = 'ok' | 'bad_signature' | 'unknown_key';

declare module 'fastify' {
  interface FastifyInstance {
    signatures: {
      /** The public key (base64url) registered under `keyId`, or null. Cached. */
      publicKey(keyId: string): Promise<string | null>;
      /**
       * `ok` when the envelope's `sig` verifies under its `senderKey`; `unknown_key` when that key
       * id is not a key of `senderId` (whether it is their *current* key is checked on insert).
       */
      verifyEnvelope(envelope: Envelope, senderId: string): Promise<SignatureCheck>;
    };
  }
}

/** A round-robin pool of verify workers; a worker that dies is replaced. */
function startPool(size: number) {
  // Built (dist/server/), the worker is JavaScript beside this code. From source it is
  // TypeScript: register tsx's loader in it first (execArgv --import is not applied to worker
  // entry points on Node 20), then load it.
  const built = !import.meta.url.endsWith('.ts');
  const workerUrl = new URL(built ? './verify-worker.mjs' : './verify-worker.ts', import.meta.url).href;
  const bootstrap = built
    ? `import(${JSON.stringify(workerUrl)});`
    : `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); });`;
  let nextId = 0;
  let turn = 0;
  let closing = false;
  type Job = { resolve: (ok: boolean) => void; reject: (err: Error) => void };

  function spawn(slot: number) {
    const pending = new Map<number, Job>();
    const worker = new Worker(bootstrap, { eval: true });
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean }) => {
      pending.get(msg.id)?.resolve(msg.ok);
      pending.delete(msg.id);
    });
    // A crashed worker fails what it held (500), never a false "bad signature", and is replaced.
    const fail = (err: Error) => {
      for (const job of pending.values()) job.reject(err);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => {
      fail(new Error('verify worker exited'));
      if (!closing) workers[slot] = spawn(slot);
    });
    return { worker, pending };
  }

  const workers = Array.from({ length: size }, (_, slot) => spawn(slot));
  return {
    verify(publicKey: string, envelope: Envelope): Promise<boolean> {
      const id = nextId++;
      const { worker, pending } = workers[turn++ % workers.length]!;
      return new Promise<boolean>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, publicKey, envelope });
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}

export default fp(
  async (fastify) => {
    const cache = new Map<string, CachedKey>();

    async function load(keyId: string): Promise<CachedKey | null> {
      const hit = cache.get(keyId);
      if (hit) {
        // Refresh its place in the LRU order.
        cache.delete(keyId);
        cache.set(keyId, hit);
        return hit;
      }
      const key = await fastify.usersRepository.findKey(keyId);
      if (!key || keyIdOf(key.publicKey) !== keyId) return null;
      const entry: CachedKey = { userId: key.userId, publicKey: base64urlEncode(key.publicKey) };
      cache.set(keyId, entry);
      if (cache.size > VERIFIER_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return entry;
    }

    const pool = fastify.config.VERIFY_WORKERS > 0 ? startPool(fastify.config.VERIFY_WORKERS) : null;
    if (pool) fastify.addHook('onClose', async () => pool.close());

    fastify.decorate('signatures', {
      async publicKey(keyId: string) {
        return (await load(keyId))?.publicKey ?? null;
      },
      async verifyEnvelope(envelope: Envelope, senderId: string): Promise<SignatureCheck> {
        const key = await load(envelope.senderKey);
        if (!key || key.userId !== senderId) return 'unknown_key';
        let ok: boolean;
        if (pool) {
          ok = await pool.verify(key.publicKey, envelope);
        } else {
          key.verify ??= sm2Verifier(base64urlDecode(key.publicKey));
          try {
            ok = key.verify(signedBytes(envelope), base64urlDecode(envelope.sig));
          } catch {
            ok = false;
          }
        }
        return ok ? 'ok' : 'bad_signature';
      },
    });
  },
  { name: 'signatures', dependencies: ['users-repository'] },
);
