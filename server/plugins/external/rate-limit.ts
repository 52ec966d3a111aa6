/**
 * Rate limits (@fastify/rate-limit): every route, per signed-in user (else per IP), at
 * `RATE_LIMIT_PER_MINUTE`; routes may set a tighter `config.rateLimit` (recipient lookup:
 * `LOOKUP_RATE_LIMIT_PER_MINUTE` per user). Counted in Redis when `REDIS_URL` is set, so all
 * instances share one count. If Redis is unreachable each instance counts in memory until it is
 * back (rate-limit-store.ts explains why neither fail-open nor fail-closed); a warning is logged.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';
import { redisWithLocalFallback } from './rate-limit-store';

/** The client a request counts against: the token's user when verified, else the address. */
export function rateLimitKey(request: FastifyRequest): string {
  return request.userId ? `u:${request.userId}` : `ip:${request.ip}`;
}

export default fp(
  async (fastify) => {
    let lastWarning = 0;
    const warnFallback = (error: Error | null) => {
      // At most one line a minute, however many requests are counted locally.
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      fastify.log.warn({ err: error?.message }, 'Redis unreachable: rate limits counted per instance');
    };
    await fastify.register(rateLimit, {
      global: true,
      // After the route folders' auth hooks (onRequest), so the key can be the user.
      hook: 'preHandler',
      max: fastify.config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      // Shared count in Redis; per-instance counts while Redis is unreachable (rate-limit-store.ts).
      ...(fastify.redis ? { store: redisWithLocalFallback(fastify.redis, 'mifeng-rl:', warnFallback) } : {}),
      skipOnError: true,
      errorResponseBuilder: (_request, context) => {
        const err = new MifengError('RateLimited', `retry in ${Math.ceil(context.ttl / 1000)} s`);
        return Object.assign(err, { statusCode: 429 });
      },
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'auth'] },
);
