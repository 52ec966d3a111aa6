/**
 * `POST /api/v1/recipients/lookup`: name + phone → a registered user, their current key and its
 * history (in the same statement).
 *
 * Unregistered phones, name mismatches and users without a key get the same 404 body, and every
 * lookup does the same work (hash, one indexed query by phone hash, a constant-time compare of
 * fixed-length name digests) so the answer's timing does not tell them apart either. Rate-limited
 * per user (`LOOKUP_RATE_LIMIT_PER_MINUTE`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { recipientsContract } from '../../../shared/api/recipients';
import { constantTimeEqual, sm3 } from '../../../shared/crypto';
import { base64urlEncode, utf8Encode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { normalizeName } from '../../names';
import { contractRoute } from '../_contract';

function nameDigest(name: string): Uint8Array {
  return sm3(utf8Encode(normalizeName(name)));
}

/** Compared against when no user holds the phone, so both paths hash and compare once. */
const NOBODY = '\u0000nobody';

const recipients: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  fastify.addHook('onRequest', fastify.requireRegistered);

  fastify.route({
    ...contractRoute(recipientsContract.lookup, { tags: ['recipients'], security: [{ bearerAuth: [] }] }),
    config: {
      rateLimit: { max: fastify.config.LOOKUP_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 },
    },
    handler: async (request) => {
      const { name, phone } = request.body;
      const hashed = fastify.phones.hash(phone);
      const holder = await fastify.usersRepository.findByPhoneHash(hashed.hash);
      const sameName = constantTimeEqual(nameDigest(name), nameDigest(holder?.name ?? NOBODY));
      if (!holder || !sameName || !holder.keyId || !holder.publicKey || !holder.name) {
        throw new MifengError('NoSuchRecipient');
      }
      const log = await fastify.transparencyLog.keyInclusion(holder.keyId);
      return {
        user: holder.id,
        name: holder.name,
        publicKey: base64urlEncode(holder.publicKey),
        keyId: holder.keyId,
        keyHistory: holder.keyHistory,
        ...(log ? { log } : {}),
      };
    },
  });
};

export default recipients;
