/**
 * Fault: Redis (shared rate-limit counts) goes down and comes back, with two instances behind
 * nginx (docs/operations.md). Uses a private redis-server, never the shared one.
 *
 * Documented behaviour (docs/operations.md, server/plugins/external/rate-limit-store.ts):
 * - Redis up: one count across instances; alternating instances does not double an allowance.
 * - Redis down: the API keeps serving (no 5xx, no waiting on Redis), /readyz stays 200 and shows
 *   `redis: down`, and every limit still holds per instance: at most N × the limit over N
 *   instances (fail-soft, neither fail-open nor fail-closed).
 * - Redis back: the shared count resumes without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, clusterUnavailable, startCluster } from '../../harness/cluster';
import { Api, presealEnvelopes, registerUsers, runWorkload, type SimUser } from '../../harness/workload';
import { requireService } from '../support/services';

const skip = await requireService('cluster (nginx, redis-server, PostgreSQL)', clusterUnavailable);

const LIMIT = 10;

describe('Redis down', { skip, timeout: 600_000 }, () => {
  let cluster: Cluster;
  let users: SimUser[];
  const api = new Api('');

  before(async () => {
    cluster = await startCluster({ instances: 2, env: { LOOKUP_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
    users = await registerUsers(new Api(cluster.url), 3, 8, 4);
  });
  after(async () => {
    await cluster?.stop();
  });

  /** `count` lookups by `user`, alternating between the instances directly; answers by status. */
  async function lookups(user: SimUser, count: number): Promise<Record<number, number>> {
    const statuses: Record<number, number> = {};
    for (let i = 0; i < count; i++) {
      const instance = cluster.instances[i % cluster.instances.length]!;
      const started = performance.now();
      const res = await api.once('POST', '/api/v1/recipients/lookup', {
        base: instance.url,
        token: user.token,
        body: { name: users[0]!.name, phone: users[0]!.phone },
      });
      assert.ok(performance.now() - started < 5000, 'no request waits on Redis');
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    return statuses;
  }

  it('with Redis up, one allowance across both instances', async () => {
    const statuses = await lookups(users[1]!, LIMIT * 2);
    assert.deepEqual(statuses, { 200: LIMIT, 429: LIMIT });
  });

  it('with Redis down, the API serves on and limits hold per instance', async () => {
    await cluster.redis!.stop();
    const ready = await fetch(`${cluster.url}/readyz`);
    const body = (await ready.json()) as { checks: { redis: string; database: string } };
    assert.equal(ready.status, 200);
    assert.deepEqual(body.checks, { database: 'ok', redis: 'down' });

    const statuses = await lookups(users[2]!, LIMIT * 3);
    console.log(`# Redis down: ${LIMIT * 3} lookups over 2 instances → ${JSON.stringify(statuses)}`);
    // Each instance counts on its own: exactly the limit on each, the rest refused.
    assert.deepEqual(statuses, { 200: LIMIT * 2, 429: LIMIT });

    const workloadApi = new Api(cluster.url);
    const result = await runWorkload(workloadApi, {
      users,
      pool: presealEnvelopes(users, 60),
      sent: [],
      durationMs: 4000,
      concurrency: 4,
      weights: { lookup: 0 },
    });
    assert.deepEqual(result.unexpected, []);
    assert.deepEqual(workloadApi.stats.serverErrors, []);
    console.log(
      `# Redis down: ${result.operations} mixed operations, p99 ${workloadApi.stats.percentile(99).toFixed(0)} ms, no 5xx`,
    );
  });

  it('when Redis is back, the shared count resumes without a restart', async () => {
    await cluster.redis!.start();
    // ioredis reconnects on its own (backoff up to 2 s).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await fetch(`${cluster.instances[0]!.url}/readyz`);
      const r0 = ((await res.json()) as { checks: { redis: string } }).checks.redis;
      const res1 = await fetch(`${cluster.instances[1]!.url}/readyz`);
      const r1 = ((await res1.json()) as { checks: { redis: string } }).checks.redis;
      if ((r0 === 'ok' && r1 === 'ok') || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const statuses = await lookups(users[3]!, LIMIT * 2);
    assert.deepEqual(statuses, { 200: LIMIT, 429: LIMIT });
  });
});
