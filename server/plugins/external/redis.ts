/**
 * Decorates `fastify.redis`: an ioredis client when `REDIS_URL` is set (shared rate-limit state
 * across instances), else `null`. Quits in `onClose`.
 */
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | null;
  }
}

export default fp(
  async (fastify) => {
    const url = fastify.config.REDIS_URL;
    if (!url) {
      fastify.decorate('redis', null);
      return;
    }
    // Fail fast when Redis is down, so requests are not held up (rate limits then count per
    // instance, see rate-limit-store.ts); a command on a half-dead connection gives up after 1 s.
    // Imported only when configured: a start without Redis does not load the client.
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, {
      connectTimeout: 1000,
      commandTimeout: 1000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    redis.on('error', (err) =>
      fastify.log.warn({ code: (err as NodeJS.ErrnoException).code }, 'redis error'),
    );
    fastify.decorate('redis', redis);
    fastify.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
