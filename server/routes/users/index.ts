/** `GET /api/v1/users/:id/key`: a registered user's current public key and its history. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { recipientsContract } from '../../../shared/api/recipients';
import { base64urlEncode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { contractRoute } from '../_contract';

const users: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', fastify.authenticate);
  fastify.addHook('onRequest', fastify.requireRegistered);

  fastify.route({
    ...contractRoute(recipientsContract.userKey, { tags: ['recipients'], security: [{ bearerAuth: [] }] }),
    handler: async (request) => {
      const key = await fastify.usersRepository.currentKey(request.params.id);
      if (!key) throw new MifengError('NotFound');
      const keyHistory = await fastify.usersRepository.keyHistory(request.params.id);
      const log = await fastify.transparencyLog.keyInclusion(key.keyId);
      return {
        publicKey: base64urlEncode(key.publicKey),
        keyId: key.keyId,
        keyHistory,
        ...(log ? { log } : {}),
      };
    },
  });
};

export default users;
