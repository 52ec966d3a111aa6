/**
 * `GET /metrics`: the Prometheus text exposition of `fastify.metrics` (plugins/external/metrics.ts),
 * for a scraper holding `METRICS_TOKEN` as a bearer token. Without METRICS_TOKEN the route is not
 * registered (404, like any unknown path); a wrong or missing token gets 401.
 */
import type { FastifyPluginAsync } from 'fastify';
import { constantTimeEqual, sm3 } from '../../../shared/crypto';
import { utf8Encode } from '../../../shared/encoding';
import { MifengError } from '../../../shared/errors';
import { PROMETHEUS_CONTENT_TYPE } from '../../metrics';

const metrics: FastifyPluginAsync = async (fastify) => {
  const token = fastify.config.METRICS_TOKEN;
  if (!token) return;
  // Digests compared, so neither the token's length nor its prefix shows in the timing.
  const expected = sm3(utf8Encode(`Bearer ${token}`));
  fastify.route({
    method: 'GET',
    url: '/metrics',
    schema: { hide: true },
    handler: async (request, reply) => {
      const given = sm3(utf8Encode(request.headers.authorization ?? ''));
      if (!constantTimeEqual(given, expected)) throw new MifengError('Unauthorized');
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(fastify.metrics.registry.render());
    },
  });
};

export default metrics;
