/**
 * Fault: one API instance dies (`kill -9`) in the middle of a mixed workload behind nginx, and one
 * is stopped gracefully (SIGTERM) with requests in flight (docs/operations.md).
 *
 * - Three instances start at the same moment on a fresh PostgreSQL database: the migrations run
 *   once (advisory lock), every instance comes up.
 * - Clients retry transient failures (network, 502/503/504) as docs/operations.md says; every
 *   operation ends with the answer a healthy system gives, and the reconciliation finds every
 *   acknowledged envelope whole (all recipient rows) and opening for each reader, and no envelope
 *   half-written.
 * - SIGTERM: requests already in flight complete, the process exits 0 and closes its pools.
 * - At the edge, nginx refuses huge bodies (413) and cuts off clients that trickle a body.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type Cluster, clusterUnavailable, startCluster } from '../../harness/cluster';
import {
  Api,
  postEnvelope,
  presealEnvelopes,
  reconcile,
  registerUsers,
  runWorkload,
  type SimUser,
} from '../../harness/workload';
import { readMigrations } from '../../server/db/migrations';
import { requireService } from '../support/services';

const skip = await requireService('cluster (nginx, redis-server, PostgreSQL)', clusterUnavailable);

describe('kill -9 one instance under load', { skip, timeout: 600_000 }, () => {
  let cluster: Cluster;
  let users: SimUser[];

  before(async () => {
    cluster = await startCluster({ instances: 3 });
    users = await registerUsers(new Api(cluster.url), 1, 12, 4);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('instances started together applied each migration exactly once', async () => {
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    try {
      const rows = (
        await client.query(
          'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
        )
      ).rows as { migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }[];
      const expected = (await readMigrations()).migrationDirectories.map((m) => m.path).sort();
      assert.deepEqual(
        rows.map((r) => r.migration_name),
        expected,
      );
      for (const row of rows) {
        assert.ok(row.finished_at, `${row.migration_name} finished`);
        assert.equal(row.rolled_back_at, null);
      }
    } finally {
      await client.end();
    }
    for (const instance of cluster.instances) {
      const res = await fetch(`${instance.url}/readyz`);
      assert.equal(res.status, 200, `${instance.url} ready`);
    }
  });

  it('nginx refuses huge bodies and cuts off trickling clients, in the API error shape', async () => {
    const huge = await fetch(`${cluster.url}/api/v1/envelopes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${users[0]!.token}` },
      body: JSON.stringify({ envelope: 'x'.repeat(400_000) }),
    });
    assert.equal(huge.status, 413);
    assert.deepEqual(((await huge.json()) as { error: { code: string } }).error.code, 'payload_too_large');

    // A client that announces a body and never sends it holds nothing for long, and everyone
    // else is served meanwhile.
    const { port } = new URL(cluster.url);
    const started = performance.now();
    const cutOff = new Promise<{ ms: number; answer: string }>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /api/v1/envelopes HTTP/1.1\r\nHost: mifeng\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{',
        );
      });
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString();
      });
      socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
      socket.on('error', reject);
      socket.setTimeout(30_000, () => socket.destroy(new Error('not cut off within 30 s')));
    });
    const api = new Api(cluster.url);
    for (let i = 0; i < 5; i++)
      assert.equal((await api.once('GET', '/api/v1/me', { token: users[1]!.token })).status, 200);
    const { ms, answer } = await cutOff;
    console.log(
      `# trickling client cut off after ${Math.round(ms)} ms: ${answer.split('\r\n')[0] || '(closed)'}`,
    );
    assert.ok(ms < 15_000, `cut off after ${Math.round(ms)} ms`);
  });

  it('clients retrying through nginx succeed; nothing is lost or half-written', async () => {
    const api = new Api(cluster.url);
    const pool = presealEnvelopes(users, 240);
    const sent: typeof pool = [];
    const victim = cluster.instances[0]!;
    const killer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await victim.kill();
    })();
    const result = await runWorkload(api, {
      users,
      pool,
      sent,
      durationMs: 10_000,
      concurrency: 8,
      weights: { lookup: 0 },
    });
    await killer;
    assert.equal(victim.child.signalCode, 'SIGKILL');
    assert.deepEqual(result.unexpected, [], 'every operation ended with a healthy answer');
    // What clients saw before retrying: gateway errors from nginx, never an application 500.
    for (const e of api.stats.serverErrors) {
      assert.ok([502, 503, 504].includes(e.status), `${e.op}: ${e.status} ${e.text}`);
      assert.doesNotMatch(e.text, /at .*\.(ts|js):\d+/);
    }
    console.log(
      `# kill -9: ${result.operations} operations, ${api.stats.retries} retried attempts, ` +
        `${sent.filter((s) => s.acked).length} envelopes acknowledged`,
    );
    const rec = await reconcile(new Api(cluster.url), cluster.databaseUrl, sent);
    assert.deepEqual(rec.problems, []);
    assert.equal(rec.opened + rec.gone, rec.acked);
    console.log(
      `# reconcile: ${rec.acked} acknowledged, ${rec.decryptions} decryptions, ${rec.storedWithoutAck} stored without ack`,
    );
  });

  it('SIGTERM finishes in-flight requests, then exits 0; the rest retry elsewhere', async () => {
    const instance = cluster.instances[1]!;
    const api = new Api(instance.url);
    const letters = presealEnvelopes(users, 12);
    let signalled = 0;
    const inFlight = letters.map((letter) =>
      api
        .once('POST', '/api/v1/envelopes', {
          token: letter.sender.token,
          body: { envelope: letter.envelope },
        })
        .then((res) => ({ res, afterSignal: signalled > 0 })),
    );
    // Signal once the instance is busy with the batch (its first answer is out).
    await Promise.race(inFlight);
    signalled = performance.now();
    const stopped = instance.stop(30_000);
    const answers = await Promise.all(inFlight);
    await stopped;
    assert.equal(instance.child.exitCode, 0, 'graceful exit');
    console.log(
      `# SIGTERM with ${letters.length} uploads in flight: ${answers
        .map((a) => `${a.res.status || 'reset'}${a.afterSignal ? '*' : ''}`)
        .join(' ')} (* = answered after the signal)`,
    );
    // Requests the instance was working on finish after the signal. One it had not started
    // (still unread on an idle connection, or arriving after the close began) is refused with 503
    // or its connection closed, before any work; the client retries it elsewhere.
    assert.ok(
      answers.some((a) => a.afterSignal && a.res.status === 201),
      'in-flight requests completed after the signal',
    );
    for (const [i, { res }] of answers.entries()) {
      assert.ok([201, 503, 0].includes(res.status), `${res.status} ${res.text}`);
      if (res.status === 201) letters[i]!.acked = true;
    }
    // Nothing refused was half-done: before retrying, no unacknowledged upload is stored.
    for (const letter of letters) letter.attempted = true;
    const early = await reconcile(new Api(cluster.url), cluster.databaseUrl, letters, {
      concurrency: 4,
      onlyThese: true,
    });
    assert.deepEqual(early.problems, []);
    assert.equal(early.storedWithoutAck, 0, 'a refused upload left nothing behind');
    // Retried through nginx (same envelopes), every upload lands exactly once.
    const viaNginx = new Api(cluster.url);
    for (const letter of letters.filter((l) => !l.acked))
      assert.equal((await postEnvelope(viaNginx, letter)).status, 201);
    const rec = await reconcile(viaNginx, cluster.databaseUrl, letters, { concurrency: 4, onlyThese: true });
    assert.deepEqual(rec.problems, []);
    assert.equal(rec.acked, letters.length);
  });
});
