/**
 * `GET /healthz` (the process answers) and `GET /readyz` (database, and Redis when configured):
 * 503 when the database cannot be reached; Redis is reported in `checks` only.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CheckState } from '../../../shared/api/health';
import { healthContract } from '../../../shared/api/health';
import { contractRoute } from '../_contract';

/** How long a readiness probe waits for each dependency. */
const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const health: FastifyPluginAsyncZod = async (fastify) => {
  fastify.route({
    ...contractRoute(healthContract.health, { tags: ['health'] }),
    config: { rateLimit: false },
    handler: async () => ({ status: 'ok' as const }),
  });

  fastify.route({
    ...contractRoute(healthContract.ready, { tags: ['health'] }),
    config: { rateLimit: false },
    handler: async (_request, reply) => {
      const database: CheckState = await withTimeout(
        fastify.prisma.$queryRaw`SELECT 1`,
        PROBE_TIMEOUT_MS,
      ).then(
        () => 'ok',
        () => 'down',
      );
      const redis: CheckState = fastify.redis
        ? await withTimeout(fastify.redis.ping(), PROBE_TIMEOUT_MS).then(
            () => 'ok',
            () => 'down',
          )
        : 'disabled';
      // Redis down is reported but does not make the instance unready: rate limits then count
      // per instance (plugins/external/rate-limit-store.ts) and the API serves on. Every instance
      // shares that Redis, so taking them out of rotation would turn degraded into down.
      const ready = database === 'ok';
      if (!ready) reply.code(503).header('retry-after', '5');
      return { status: ready ? ('ok' as const) : ('unavailable' as const), checks: { database, redis } };
    },
  });
};

export default health;
