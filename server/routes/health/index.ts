/**
 * `GET /healthz` (the process answers) and `GET /readyz` (database, and Redis when configured):
 * 503 when the database cannot be reached; Redis is reported in `checks` only.
 *
 * Neither is rate limited (orchestrators probe them often from one address), so /readyz must not
 * let anyone drive database load: one check runs at a time, and its result answers every probe
 * until READY_CACHE_MS after it finished.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CheckState } from '../../../shared/api/health';
import { healthContract } from '../../../shared/api/health';
import { contractRoute } from '../_contract';

/** How long a readiness probe waits for each dependency. */
const PROBE_TIMEOUT_MS = 2000;

/** How long a finished readiness check answers further probes. */
export const READY_CACHE_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const health: FastifyPluginAsyncZod = async (fastify) => {
  const check = async (): Promise<{ database: CheckState; redis: CheckState }> => {
    const database: CheckState = await withTimeout(fastify.prisma.$queryRaw`SELECT 1`, PROBE_TIMEOUT_MS).then(
      () => 'ok',
      () => 'down',
    );
    const redis: CheckState = fastify.redis
      ? await withTimeout(fastify.redis.ping(), PROBE_TIMEOUT_MS).then(
          () => 'ok',
          () => 'down',
        )
      : 'disabled';
    return { database, redis };
  };
  let last: { result: ReturnType<typeof check>; settledAt: number } | null = null;
  const readiness = () => {
    if (last && Date.now() - last.settledAt < READY_CACHE_MS) return last.result;
    const current = { result: check(), settledAt: Number.POSITIVE_INFINITY };
    current.result.finally(() => {
      current.settledAt = Date.now();
    });
    last = current;
    return current.result;
  };

  fastify.route({
    ...contractRoute(healthContract.health, { tags: ['health'] }),
    config: { rateLimit: false },
    handler: async () => ({ status: 'ok' as const }),
  });

  fastify.route({
    ...contractRoute(healthContract.ready, { tags: ['health'] }),
    config: { rateLimit: false },
    handler: async (_request, reply) => {
      const { database, redis } = await readiness();
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
