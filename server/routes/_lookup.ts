/**
 * A registered user as a lookup shows them (`POST /recipients/lookup`, and the recipient of a ready
 * `/pending` entry): their current key, its history and, when the log holds it, the proof that it
 * does — so the sender's phone checks the key the same way whichever route named it.
 */
import type { FastifyInstance } from 'fastify';
import type { LookupResponse } from '../../shared/api/recipients';
import { base64urlEncode } from '../../shared/encoding';
import type { PhoneHolder } from '../plugins/app/users-repository';

/** The lookup answer for `holder`; null while they have no key or no name yet. */
export async function lookupAnswer(
  fastify: FastifyInstance,
  holder: PhoneHolder,
): Promise<LookupResponse | null> {
  if (!holder.keyId || !holder.publicKey || !holder.name) return null;
  const log = await fastify.transparencyLog.keyInclusion(holder.keyId);
  return {
    user: holder.id,
    name: holder.name,
    publicKey: base64urlEncode(holder.publicKey),
    keyId: holder.keyId,
    keyHistory: holder.keyHistory,
    ...(log ? { log } : {}),
  };
}
