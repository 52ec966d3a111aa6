/**
 * Rate limits (@fastify/rate-limit): every route, per signed-in user (else per IP), at
 * `RATE_LIMIT_PER_MINUTE`; routes may set a tighter `config.rateLimit` (recipient lookup:
 * `LOOKUP_RATE_LIMIT_PER_MINUTE` per user). Counted in Redis when `REDIS_URL` is set, so all
 * instances share one count. If Redis is unreachable the limiter fails open (requests are served,
 * a warning is logged): availability of reading letters outweighs a short burst of extra lookups.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';

/** The client a request counts against: the token's user when verified, else the address. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.userId ? `u:${request.userId}` : `ip:${request.ip}`;
}

export default fp(
  async (fastify) => {
    await fastify.register(rateLimit, {
      global: true,
      // After the route folders' auth hooks (onRequest), so the key can be the user.
      hook: 'preHandler',
      max: fastify.config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      ...(fastify.redis ? { redis: fastify.redis, nameSpace: 'mifeng-rl:' } : {}),
      skipOnError: true,
      errorResponseBuilder: (_request, context) => {
        const err = new MifengError('RateLimited', `retry in ${Math.ceil(context.ttl / 1000)} s`);
        return Object.assign(err, { statusCode: 429 });
      },
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'auth'] },
);
