/**
 * Rate limits (@fastify/rate-limit's counters and stores), counting every request, refused or not:
 *
 * - per client address, `RATE_LIMIT_IP_PER_MINUTE`, in the first `onRequest` hook — before the
 *   token is checked, the body parsed or the database asked, so requests with a bad token or a bad
 *   body are counted like any other, and unknown paths too. The probes (`config.rateLimit: false`)
 *   are not counted: /readyz answers from a cache (routes/health).
 * - per user, `RATE_LIMIT_PER_MINUTE`, by `fastify.limitUser`, which `authenticate` calls as soon
 *   as the token verifies (before any database query of the route folders' hooks).
 * - per user on one route, with `config.rateLimit: { max }` (recipient lookup:
 *   `LOOKUP_RATE_LIMIT_PER_MINUTE`), after the folder's hooks.
 *
 * The address is the socket's, or X-Forwarded-For's when the socket is a proxy listed in
 * TRUST_PROXY (app.ts), so rotating that header from outside changes nothing. IPv6 clients count
 * per /64, as one host usually holds a whole /64.
 *
 * Counted in Redis when `REDIS_URL` is set, so all instances share one count. If Redis is
 * unreachable each instance counts in memory until it is back (rate-limit-store.ts explains why
 * neither fail-open nor fail-closed); a warning is logged. Each refusal is counted in /metrics; the
 * first refusal of a client in a window goes to the audit log.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MifengError } from '../../../shared/errors';
import type { RateLimitName } from './metrics';
import { redisWithLocalFallback } from './rate-limit-store';

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts the request against its signed-in user; 429 `rate_limited` over the limit. */
    limitUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

const WINDOW_MS = 60_000;

/** The key an address counts under. */
export function addressKey(request: FastifyRequest): string {
  return `ip:${normalizeIP(request.ip)}`;
}

/** The key a signed-in user counts under. */
export function userKey(request: FastifyRequest): string {
  return `u:${request.userId}`;
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

    // Clients already written to the audit log in their current window: one line per trip, not
    // one per refused request (a flood would otherwise become a flood of log lines).
    const tripped = new Map<string, number>();
    const refused = (request: FastifyRequest, limit: RateLimitName, key: string, ttlMs: number) => {
      fastify.metrics.rateLimited.inc({ limit });
      const now = Date.now();
      const until = tripped.get(key);
      if (until !== undefined && until > now) return;
      if (tripped.size >= 10_000) tripped.clear();
      tripped.set(key, now + ttlMs);
      fastify.audit(request, 'rate_limited', { limit });
    };
    const error = (ttlMs: number) => new MifengError('RateLimited', `retry in ${Math.ceil(ttlMs / 1000)} s`);

    await fastify.register(rateLimit, {
      // Routes opt in with config.rateLimit; the address and user limits below are hooks of ours.
      global: false,
      hook: 'onRequest',
      max: fastify.config.RATE_LIMIT_PER_MINUTE,
      timeWindow: WINDOW_MS,
      keyGenerator: userKey,
      // Shared count in Redis; per-instance counts while Redis is unreachable (rate-limit-store.ts).
      ...(fastify.redis ? { store: redisWithLocalFallback(fastify.redis, 'mifeng-rl:', warnFallback) } : {}),
      skipOnError: true,
      onExceeded: (request, key) => refused(request, 'lookup', key, WINDOW_MS),
      errorResponseBuilder: (_request, context) => Object.assign(error(context.ttl), { statusCode: 429 }),
    });

    /** A limiter as a function: counts, sets Retry-After and throws when over `max`. */
    const limiter = (limit: RateLimitName, max: number, key: (request: FastifyRequest) => string) => {
      const count = fastify.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: key });
      return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        const result = await count(request);
        if (result.isAllowed || !result.isExceeded) return;
        refused(request, limit, result.key, result.ttl);
        reply.header('retry-after', String(result.ttlInSeconds));
        throw error(result.ttl);
      };
    };

    const perAddress = limiter('ip', fastify.config.RATE_LIMIT_IP_PER_MINUTE, addressKey);
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.rateLimit === false) return;
      await perAddress(request, reply);
    });
    fastify.decorate('limitUser', limiter('user', fastify.config.RATE_LIMIT_PER_MINUTE, userKey));
  },
  { name: 'rate-limit', dependencies: ['config', 'redis', 'metrics', 'audit'] },
);
