/**
 * The rate-limit store used when `REDIS_URL` is set: counts in Redis (one count shared by every
 * instance), and while Redis cannot be reached, in this instance's memory instead.
 *
 * Why neither fail-closed nor fail-open: every route is rate limited, so refusing requests while
 * Redis is down (fail-closed) would stop people from reading their letters because a counter is
 * missing; not limiting at all (fail-open) would let one account enumerate phone numbers through
 * recipient lookup as fast as the instances answer. Falling back to per-instance counters keeps
 * the API serving and keeps every limit in force on each instance, so during an outage one user
 * gets at most N × the limit across N instances, and the shared count resumes as soon as Redis is
 * back (docs/operations.md, tests/faults/slow-redis-down.test.ts).
 *
 * No request waits for Redis to come back: while the connection is not `ready` the local store
 * answers at once; a command that fails on a ready connection falls back for that request.
 */
import { createRequire } from 'node:module';
import type {
  FastifyRateLimitOptions,
  FastifyRateLimitStore,
  FastifyRateLimitStoreCtor,
} from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];
type RouteOptions = Parameters<FastifyRateLimitStore['child']>[0];

interface Store {
  incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void;
  child(routeOptions: RouteOptions): Store;
}

const require = createRequire(import.meta.url);
// @fastify/rate-limit's own stores (same Lua script and LRU as when it picks them itself).
const RedisStore = require('@fastify/rate-limit/store/RedisStore') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key?: string,
) => Store;
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => Store;

class FallbackStore implements Store {
  constructor(
    private readonly redis: Redis,
    private readonly shared: Store,
    private readonly local: Store,
    private readonly onFallback: (error: Error | null) => void,
  ) {}

  incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void {
    if (this.redis.status !== 'ready') {
      this.onFallback(null);
      this.local.incr(key, cb, timeWindow, max);
      return;
    }
    this.shared.incr(
      key,
      (error, result) => {
        if (!error) return cb(null, result);
        this.onFallback(error);
        this.local.incr(key, cb, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: RouteOptions): Store {
    return new FallbackStore(
      this.redis,
      this.shared.child(routeOptions),
      this.local.child(routeOptions),
      this.onFallback,
    );
  }
}

/**
 * A store class for @fastify/rate-limit's `store` option: Redis under `nameSpace`, falling back to
 * memory. `onFallback` is called for every request counted locally (with the Redis error, if any).
 */
export function redisWithLocalFallback(
  redis: Redis,
  nameSpace: string,
  onFallback: (error: Error | null) => void,
): FastifyRateLimitStoreCtor {
  return class {
    constructor(
      options: FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean },
    ) {
      const continueExceeding = options.continueExceeding ?? false;
      const exponentialBackoff = options.exponentialBackoff ?? false;
      // biome-ignore lint/correctness/noConstructorReturn: @fastify/rate-limit instantiates the class it is given
      return new FallbackStore(
        redis,
        new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace),
        new LocalStore(continueExceeding, exponentialBackoff, 5000),
        onFallback,
      ) as unknown as FastifyRateLimitStore;
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
