/**
 * Fault: PostgreSQL stops in the middle of a workload and starts again (docs/operations.md). Uses a
 * private PostgreSQL server (tests/faults/private-postgres.ts), so the shared one other tests use
 * is never touched.
 *
 * While it is down, every API answer that needs the database is 503 `unavailable` with
 * Retry-After, quickly (no hangs), never a 500 and never a stack trace; /readyz says the database
 * is down. After it starts again the same processes serve normally (no restart), and every
 * envelope acknowledged before or after the outage is whole and opens.
 *
 * A PostgreSQL that freezes (SIGSTOP: connections stay open, nothing answers) is answered 503 +
 * Retry-After within the request deadline (server/plugins/external/deadline.ts), not a hang.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, clusterUnavailable, createDatabase, startCluster } from '../../harness/cluster';
import { sleep } from '../../harness/net';
import {
  Api,
  type ApiResponse,
  postEnvelope,
  presealEnvelopes,
  reconcile,
  registerUsers,
  type SentEnvelope,
  type SimUser,
} from '../../harness/workload';
import { requireService } from '../support/services';
import { type PrivatePostgres, privatePostgresUnavailable, startPrivatePostgres } from './private-postgres';

const skip = await requireService(
  'cluster (nginx, redis-server, PostgreSQL) and a private PostgreSQL (initdb)',
  async () => (await clusterUnavailable()) ?? privatePostgresUnavailable(),
);

describe('PostgreSQL outage', { skip, timeout: 600_000 }, () => {
  let postgres: PrivatePostgres;
  let cluster: Cluster;
  let users: SimUser[];

  before(async () => {
    postgres = await startPrivatePostgres();
    const database = await createDatabase(postgres.url);
    cluster = await startCluster({ instances: 2, databaseUrl: database.url, redis: 'none' });
    users = await registerUsers(new Api(cluster.url), 2, 6, 3);
  });
  after(async () => {
    await cluster?.stop();
    await postgres?.destroy();
  });

  it('answers 503 + Retry-After during the outage and recovers without a restart', async () => {
    const api = new Api(cluster.url);
    const pids = cluster.instances.map((i) => i.pid);
    const pool = presealEnvelopes(users, 200);
    const sent: SentEnvelope[] = [];
    type Phase = 'before' | 'down' | 'after';
    let phase: Phase = 'before';
    const seen: Record<Phase, { status: number; ms: number; res: ApiResponse; op: string }[]> = {
      before: [],
      down: [],
      after: [],
    };
    let stop = false;

    // Probe clients: no retries, so each answer during the outage is seen as it is.
    const probe = async (n: number) => {
      while (!stop) {
        const user = users[n % users.length]!;
        const started = performance.now();
        const at = phase;
        let op: string;
        let res: ApiResponse;
        switch (n++ % 4) {
          case 0: {
            const letter = pool.pop()!;
            sent.push(letter);
            op = 'create';
            letter.attempted = true;
            res = await api.once('POST', '/api/v1/envelopes', {
              token: letter.sender.token,
              body: { envelope: letter.envelope },
            });
            if (res.status === 201) letter.acked = true;
            break;
          }
          case 1:
            op = 'list';
            res = await api.once('GET', '/api/v1/envelopes?box=sent', { token: user.token });
            break;
          case 2:
            op = 'me';
            res = await api.once('GET', '/api/v1/me', { token: user.token });
            break;
          default:
            op = 'readyz';
            res = await api.once('GET', '/readyz');
        }
        seen[at].push({ status: res.status, ms: performance.now() - started, res, op });
        await sleep(50);
      }
    };
    const probes = [0, 1, 2, 3].map((i) => probe(i));
    await sleep(2000);
    phase = 'down';
    await postgres.stop();
    await sleep(5000);
    // The outage is over once PostgreSQL accepts connections again.
    await postgres.start();
    phase = 'after';
    const recoveredBy = Date.now() + 20_000;
    while (Date.now() < recoveredBy) {
      const ok = seen.after.filter((s) => s.status < 300).length;
      if (ok >= 12) break;
      await sleep(250);
    }
    await sleep(1000);
    stop = true;
    await Promise.all(probes);

    const summary = (list: { status: number }[]) =>
      Object.entries(
        list.reduce<Record<number, number>>((acc, s) => {
          acc[s.status] = (acc[s.status] ?? 0) + 1;
          return acc;
        }, {}),
      )
        .map(([s, n]) => `${s}×${n}`)
        .join(' ');
    const slowest = Math.max(...seen.down.map((s) => s.ms));
    console.log(
      `# before: ${summary(seen.before)}; down: ${summary(seen.down)} (slowest ${Math.round(slowest)} ms); after: ${summary(seen.after)}`,
    );

    assert.ok(
      seen.before.every((s) => s.status < 300),
      'healthy before the outage',
    );
    for (const s of [...seen.down, ...seen.after]) {
      assert.notEqual(s.status, 0, `${s.op}: no dropped connection (${s.res.error})`);
      assert.ok(s.status < 300 || s.status === 503, `${s.op}: ${s.status} ${s.res.text}`);
      assert.doesNotMatch(s.res.text, /at .*\.(ts|js):\d+|node_modules/, 'no stack trace');
      if (s.status === 503) {
        assert.ok(Number(s.res.headers.get('retry-after')) > 0, `${s.op}: Retry-After on 503`);
        if (s.op !== 'readyz')
          assert.equal((s.res.body as { error: { code: string } }).error.code, 'unavailable');
      }
    }
    assert.ok(seen.down.filter((s) => s.status === 503).length >= 8, 'the outage was seen as 503s');
    const readyDown = seen.down.filter((s) => s.op === 'readyz' && s.status === 503);
    assert.ok(readyDown.length > 0, '/readyz reported the database down');
    assert.match(readyDown[0]!.res.text, /"database":"down"/);
    // No hangs: every answer during the outage came within the pool's connect timeout and then some.
    assert.ok(slowest < 12_000, `slowest answer during the outage: ${Math.round(slowest)} ms`);
    // Recovered: the last answers are all healthy, from the same processes.
    const tail = seen.after.slice(-8);
    assert.ok(
      tail.every((s) => s.status < 300),
      `recovered: ${summary(tail)}`,
    );
    assert.deepEqual(
      cluster.instances.map((i) => i.pid),
      pids,
      'no instance restarted',
    );

    // After recovery a normal upload round trip works; nothing half-written from the outage.
    const extra = presealEnvelopes(users, 3);
    for (const letter of extra) {
      sent.push(letter);
      assert.equal((await postEnvelope(api, letter)).status, 201);
    }
    const rec = await reconcile(new Api(cluster.url), cluster.databaseUrl, sent, { concurrency: 4 });
    assert.deepEqual(rec.problems, []);
    console.log(
      `# reconcile: ${rec.acked} acknowledged (of ${sent.length} attempted), ${rec.decryptions} decryptions, ` +
        `${rec.storedWithoutAck} stored without an acknowledgement`,
    );
  });

  it('a frozen PostgreSQL (SIGSTOP) gets 503 + Retry-After within the request deadline, not a hang', async () => {
    const api = new Api(cluster.url);
    const user = users[0]!;
    postgres.freeze();
    const answers: { op: string; res: ApiResponse; ms: number }[] = [];
    try {
      // Queries on pooled connections would wait forever; new connections time out after 5 s.
      await Promise.all(
        ['/api/v1/me', '/api/v1/envelopes?box=inbox', '/api/v1/me', '/readyz', '/api/v1/users/x/key'].map(
          async (path) => {
            const started = performance.now();
            const res = await api.once('GET', path.replace('/x/', `/${users[1]!.id}/`), {
              token: user.token,
              timeoutMs: 40_000,
            });
            answers.push({ op: path, res, ms: performance.now() - started });
          },
        ),
      );
    } finally {
      postgres.thaw();
    }
    console.log(
      `# frozen PostgreSQL: ${answers.map((a) => `${a.op} ${a.res.status || a.res.error} in ${Math.round(a.ms)} ms`).join('; ')}`,
    );
    for (const { op, res, ms } of answers) {
      assert.equal(res.status, 503, `${op}: ${res.status} ${res.error ?? res.text}`);
      assert.ok(Number(res.headers.get('retry-after')) > 0, `${op}: Retry-After`);
      assert.doesNotMatch(res.text, /at .*\.(ts|js):\d+|node_modules/);
      // REQUEST_DEADLINE_MS (10 s) and some slack for a loaded machine.
      assert.ok(ms < 16_000, `${op} answered after ${Math.round(ms)} ms`);
    }
    // Thawed: served again by the same processes.
    const deadline = Date.now() + 20_000;
    let last = 0;
    while (Date.now() < deadline) {
      last = (await api.once('GET', '/api/v1/me', { token: user.token })).status;
      if (last === 200) break;
      await sleep(250);
    }
    assert.equal(last, 200);
  });
});
