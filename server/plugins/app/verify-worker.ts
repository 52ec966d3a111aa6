/**
 * Worker thread body for `fastify.signatures` (signatures.ts): verifies envelope signatures off the
 * event loop. Keeps its own per-key cache of `sm2Verifier` precomputation. Messages in:
 * `{ id, publicKey (base64url), envelope }`; out: `{ id, ok }`.
 */
import { parentPort } from 'node:worker_threads';
import { sm2Verifier } from '../../../shared/crypto';
import { base64urlDecode } from '../../../shared/encoding';
import { type Envelope, signedBytes } from '../../../shared/protocol';

const CACHE_SIZE = 5000;
const cache = new Map<string, (message: Uint8Array, signature: Uint8Array) => boolean>();

function verifierFor(publicKey: string) {
  let verify = cache.get(publicKey);
  if (!verify) {
    verify = sm2Verifier(base64urlDecode(publicKey));
    cache.set(publicKey, verify);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  }
  return verify;
}

parentPort?.on('message', (job: { id: number; publicKey: string; envelope: Envelope }) => {
  let ok = false;
  try {
    ok = verifierFor(job.publicKey)(signedBytes(job.envelope), base64urlDecode(job.envelope.sig));
  } catch {
    ok = false;
  }
  parentPort?.postMessage({ id: job.id, ok });
});
