/**
 * `/api/v1/log/*`: the key transparency log (docs/transparency.md §Routes). Public, like a
 * Certificate Transparency log: anyone may fetch heads, proofs and leaves to audit it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LOG_PAGE_SIZE, logContract } from '../../../shared/api/log';
import { MifengError } from '../../../shared/errors';
import { contractRoute } from '../_contract';

const docs = { tags: ['log'] };

const log: FastifyPluginAsyncZod = async (fastify) => {
  const repo = fastify.transparencyLog;

  fastify.route({
    ...contractRoute(logContract.head, { ...docs, description: 'The newest signed tree head.' }),
    handler: async () => repo.latestHead(),
  });

  fastify.route({
    ...contractRoute(logContract.key, {
      ...docs,
      description: "The log's public key and the rotations leading to it from older keys.",
    }),
    handler: async () => repo.key(),
  });

  fastify.route({
    ...contractRoute(logContract.inclusion, {
      ...docs,
      description: 'Inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3).',
    }),
    handler: async (request) => repo.inclusionProof(Number(request.query.index), Number(request.query.size)),
  });

  fastify.route({
    ...contractRoute(logContract.consistency, {
      ...docs,
      description: 'Consistency proof between the trees of `first` and `second` leaves (RFC 9162 §2.1.4).',
    }),
    handler: async (request) =>
      repo.consistencyProof(Number(request.query.first), Number(request.query.second)),
  });

  fastify.route({
    ...contractRoute(logContract.userEvents, { ...docs, description: "A user's key events, oldest first." }),
    handler: async (request) => ({ events: await repo.userEvents(request.params.id) }),
  });

  fastify.route({
    ...contractRoute(logContract.leaves, {
      ...docs,
      description: `Leaves from \`start\`, at most \`limit\` (${LOG_PAGE_SIZE} at most).`,
    }),
    handler: async (request) => {
      const limit = request.query.limit === undefined ? LOG_PAGE_SIZE : Number(request.query.limit);
      if (limit < 1 || limit > LOG_PAGE_SIZE)
        throw new MifengError(
          'ValidationFailed',
          `querystring/limit: must be between 1 and ${LOG_PAGE_SIZE}`,
        );
      return repo.leaves(Number(request.query.start), limit);
    },
  });
};

export default log;
