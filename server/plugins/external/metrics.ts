/**
 * `fastify.metrics`: the API's Prometheus series (server/metrics.ts), recorded in `onResponse` for
 * every request and by the plugins that refuse or sweep. `GET /metrics` (routes/metrics) renders
 * them. docs/operations.md lists each series and an example dashboard.
 *
 * Labels are bounded: the route is its template (`/api/v1/envelopes/:id`, never the id), unknown
 * paths are `unmatched`, unusual methods `OTHER`, statuses by class (`2xx` … `5xx`).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry } from '../../metrics';

/** Latency buckets in seconds: from a cached read on loopback to a request deadline. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Which limit refused a request (plugins/external/rate-limit.ts). */
export type RateLimitName = 'ip' | 'user' | 'lookup';
/** What became of a subscription message (plugins/app/notifications.ts). */
export type NotificationOutcome = 'sent' | 'refused' | 'failed' | 'no_grant' | 'off';
/** Which per-user quota refused an upload (plugins/app/quotas.ts). */
export type QuotaName = 'active_letters' | 'stored_bytes' | 'letters_per_day';

export function createAppMetrics(pool: () => { total: number; idle: number; waiting: number } | null) {
  const registry = new Registry();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const started = Date.now();
  const metrics = {
    registry,
    loopDelay,
    requests: registry.register(
      new Counter(
        'mifeng_http_requests_total',
        'Requests answered, by route template, method and status class',
      ),
    ),
    duration: registry.register(
      new Histogram(
        'mifeng_http_request_duration_seconds',
        'Time from the first byte of a request to its answer, by route template and method',
        LATENCY_BUCKETS,
      ),
    ),
    rateLimited: registry.register(
      new Counter(
        'mifeng_rate_limit_rejections_total',
        'Requests refused with 429 by a rate limit (ip, user, lookup)',
      ),
    ),
    quotaRejections: registry.register(
      new Counter('mifeng_quota_rejections_total', 'Uploads refused by a per-user quota, by quota'),
    ),
    sweeperRuns: registry.register(
      new Counter('mifeng_sweeper_runs_total', 'Runs of the expiry sweeper, by outcome (ok, failed)'),
    ),
    notifications: registry.register(
      new Counter(
        'mifeng_notifications_total',
        'WeChat subscription messages by kind and outcome (sent, refused, failed, no_grant, off)',
      ),
    ),
    sweeperPurged: registry.register(
      new Counter('mifeng_sweeper_purged_envelopes_total', 'Envelopes whose ciphertext the sweeper purged'),
    ),
  };
  registry.register(
    new Gauge(
      'mifeng_db_pool_connections',
      'PostgreSQL pool connections by state (total, idle, waiting)',
      () => {
        const p = pool();
        return p
          ? [
              { labels: { state: 'total' }, value: p.total },
              { labels: { state: 'idle' }, value: p.idle },
              { labels: { state: 'waiting' }, value: p.waiting },
            ]
          : [];
      },
    ),
  );
  registry.register(
    new Gauge(
      'mifeng_event_loop_delay_p99_seconds',
      'Event loop delay, 99th percentile since the last scrape',
      () => {
        const value = loopDelay.percentile(99) / 1e9;
        loopDelay.reset();
        return [{ value }];
      },
    ),
  );
  registry.register(
    new Gauge('mifeng_process_resident_memory_bytes', 'Resident set size of this process', () => [
      { value: process.memoryUsage.rss() },
    ]),
  );
  registry.register(
    new Gauge('mifeng_process_uptime_seconds', 'Seconds since this instance started', () => [
      { value: (Date.now() - started) / 1000 },
    ]),
  );
  return metrics;
}

export type AppMetrics = ReturnType<typeof createAppMetrics>;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AppMetrics;
  }
}

export default fp(
  async (fastify) => {
    const metrics = createAppMetrics(() => {
      const pool = fastify.database?.pool;
      return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null;
    });
    fastify.decorate('metrics', metrics);
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = METHODS.has(request.method) ? request.method : 'OTHER';
      const status = `${Math.floor(reply.statusCode / 100)}xx`;
      metrics.requests.inc({ route, method, status });
      metrics.duration.observe({ route, method }, reply.elapsedTime / 1000);
    });
    fastify.addHook('onClose', async () => metrics.loopDelay.disable());
  },
  { name: 'metrics' },
);
