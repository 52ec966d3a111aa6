/**
 * `npm run test:load [-- --duration 30s] [--users 60] [--concurrency 16]`: two API instances +
 * nginx + PostgreSQL + Redis on loopback (harness/cluster.ts), a mixed workload from many simulated
 * users for a bounded time, then a reconciliation. Prints throughput and p50/p99 latencies and
 * exits non-zero when anything is off:
 *
 * - any 5xx, or an answer a healthy system would not give;
 * - an acknowledged envelope missing, stored twice, incomplete, or not opening (decrypting) for
 *   each of its readers; a revoked/expired one still readable;
 * - a user getting more recipient lookups than LOOKUP_RATE_LIMIT_PER_MINUTE by alternating
 *   between the two instances (the count lives in Redis);
 * - an expired or revoked envelope not purged, or purged more than once, by the sweepers running
 *   in both instances (every purge is recorded by a trigger installed for the run).
 *
 * `--duration short` (10 s) is what CI runs. `--json <file>` also writes the figures as JSON.
 */
import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { clusterUnavailable, createDatabase, startCluster } from './cluster';
import {
  Api,
  postEnvelope,
  prepareRegistration,
  presealEnvelopes,
  reconcile,
  registerUsers,
  runWorkload,
} from './workload';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

function parseDuration(value: string): number {
  if (value === 'short') return 10_000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!m) throw new Error(`--duration: expected e.g. 30s, 2m, 500ms or short, got ${value}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

const durationMs = parseDuration(flag('duration', '30s'));
const userCount = Number(flag('users', '60'));
const concurrency = Number(flag('concurrency', '16'));
const jsonOut = args.includes('--json') ? flag('json', '') : '';
const LOOKUP_LIMIT = 20;
const EXPIRING = 30;

const ms = (value: number) => `${value.toFixed(1)} ms`;
const log = (line: string) => console.log(`load: ${line}`);

async function main(): Promise<number> {
  const unavailable = await clusterUnavailable();
  if (unavailable) {
    log(`SKIPPED: ${unavailable}`);
    return 0;
  }
  const run = Math.floor(Math.random() * 10000);
  const clusterStarted = performance.now();
  const database = await createDatabase();
  const cluster = await startCluster({
    instances: 2,
    databaseUrl: database.url,
    env: {
      LOOKUP_RATE_LIMIT_PER_MINUTE: String(LOOKUP_LIMIT),
      // Sweep every second with no grace, so the run sees its expired and revoked letters purged.
      PURGE_INTERVAL_SECONDS: '1',
      PURGE_GRACE_SECONDS: '0',
    },
    // Each instance names itself to PostgreSQL, so the purge audit can tell who purged what.
    instanceEnv: (index) => ({ DATABASE_URL: `${database.url}?application_name=mifeng-${index + 1}` }),
  }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  const problems: string[] = [];
  try {
    log(
      `cluster up in ${Math.round(performance.now() - clusterStarted)} ms: nginx ${cluster.url} → ${cluster.instances
        .map((i) => i.url)
        .join(
          ', ',
        )}; PostgreSQL ${new URL(cluster.databaseUrl).pathname.slice(1)}; Redis ${cluster.redis?.url}`,
    );
    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    db.on('error', () => {});
    await db.connect();
    // Every purge (body dropped, purged_at set) becomes one audit row; two rows for one id would
    // mean two sweepers purged the same envelope.
    await db.query(`
      CREATE TABLE load_purge_audit (id text NOT NULL, by_instance text NOT NULL, at timestamptz NOT NULL DEFAULT now());
      CREATE FUNCTION load_purge_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO load_purge_audit (id, by_instance) VALUES (NEW.id, current_setting('application_name')); RETURN NEW; END $$;
      CREATE TRIGGER load_purge_audit AFTER UPDATE OF purged_at ON envelopes
        FOR EACH ROW WHEN (NEW.purged_at IS NOT NULL) EXECUTE FUNCTION load_purge_audit();`);

    const api = new Api(cluster.url);
    const registerStarted = performance.now();
    const users = await registerUsers(api, run, userCount, 8);
    log(`registered ${users.length} users in ${Math.round(performance.now() - registerStarted)} ms`);

    // Rate limits are shared: alternate instances directly (bypassing nginx), count what passes.
    const prober = (await registerUsers(new Api(cluster.url), run + 1, 1))[0]!;
    let allowed = 0;
    let limited = 0;
    for (let i = 0; i < LOOKUP_LIMIT * 2; i++) {
      const instance = cluster.instances[i % cluster.instances.length]!;
      const res = await api.once('POST', '/api/v1/recipients/lookup', {
        base: instance.url,
        token: prober.token,
        body: { name: users[0]!.name, phone: users[0]!.phone },
      });
      if (res.status === 429) limited++;
      else if (res.status === 200) allowed++;
      else problems.push(`rate-limit probe: unexpected ${res.status} ${res.text.slice(0, 200)}`);
    }
    log(
      `lookup limit across ${cluster.instances.length} instances: ${allowed} allowed, ${limited} refused (limit ${LOOKUP_LIMIT}/min per user)`,
    );
    if (allowed !== LOOKUP_LIMIT)
      problems.push(`rate limit not shared: ${allowed} lookups allowed, limit ${LOOKUP_LIMIT}`);

    // Seal before timing: the client's SM2 work must not be what the run measures.
    const sealStarted = performance.now();
    const presealCount = Math.min(6000, Math.ceil((durationMs / 1000) * 50));
    const pool = presealEnvelopes(users, presealCount);
    const expiring = presealEnvelopes(users, EXPIRING, new Date(Date.now() + 4000));
    // New users signing up during the run: key pairs and backups made now, registered then.
    const registrations = Array.from({ length: Math.min(300, Math.ceil((durationMs / 1000) * 4)) }, (_, i) =>
      prepareRegistration(run, userCount + i),
    );
    log(
      `sealed ${pool.length + expiring.length} envelopes and ${registrations.length} key backups in ${Math.round(performance.now() - sealStarted)} ms`,
    );

    const sent = [...expiring];
    api.stats.latencies.clear();
    api.stats.statuses.clear();
    const started = performance.now();
    await Promise.all(expiring.map((e) => postEnvelope(api, e)));
    const result = await runWorkload(api, { users, pool, sent, durationMs, concurrency, registrations });
    const elapsed = performance.now() - started;
    const stats = api.stats;
    const requests = stats.count();
    log(
      `${requests} requests in ${(elapsed / 1000).toFixed(1)} s = ${(requests / (elapsed / 1000)).toFixed(0)} req/s ` +
        `(concurrency ${concurrency}); p50 ${ms(stats.percentile(50))}, p99 ${ms(stats.percentile(99))}`,
    );
    for (const op of stats.latencies.keys()) {
      log(
        `  ${op.padEnd(15)} ${String(stats.count(op)).padStart(6)}  p50 ${ms(stats.percentile(50, op)).padStart(9)}  ` +
          `p99 ${ms(stats.percentile(99, op)).padStart(9)}  ${stats.statusSummary(op)}`,
      );
    }
    for (const u of result.unexpected.slice(0, 10))
      problems.push(`unexpected ${u.op} → ${u.status} ${u.text}`);
    if (result.unexpected.length > 10)
      problems.push(`… ${result.unexpected.length - 10} more unexpected answers`);
    if (stats.serverErrors.length > 0)
      problems.push(
        `${stats.serverErrors.length} 5xx answers, e.g. ${JSON.stringify(stats.serverErrors[0])}`,
      );

    // Sweepers: every acknowledged envelope that expired or was revoked gets purged exactly once.
    const acked = sent.filter((s) => s.acked);
    const shouldPurge = new Set(
      acked
        .filter(
          (s) =>
            s.revoked || (s.envelope.expiresAt !== null && Date.parse(s.envelope.expiresAt) <= Date.now()),
        )
        .map((s) => s.envelope.id),
    );
    const purgeDeadline = Date.now() + 20_000;
    let purged = new Map<string, number>();
    for (;;) {
      const rows = (await db.query('SELECT id, count(*)::int AS n FROM load_purge_audit GROUP BY id'))
        .rows as {
        id: string;
        n: number;
      }[];
      purged = new Map(rows.map((r) => [r.id, r.n]));
      if ([...shouldPurge].every((id) => purged.has(id)) || Date.now() > purgeDeadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const byInstance = (
      await db.query('SELECT by_instance, count(*)::int AS n FROM load_purge_audit GROUP BY 1 ORDER BY 1')
    ).rows as { by_instance: string; n: number }[];
    const twice = [...purged.entries()].filter(([, n]) => n > 1);
    const missed = [...shouldPurge].filter((id) => !purged.has(id));
    const stray = [...purged.keys()].filter((id) => !shouldPurge.has(id));
    log(
      `sweepers: ${purged.size} envelopes purged (${shouldPurge.size} expired or revoked), ${twice.length} purged twice, ` +
        `${missed.length} missed; purged by ${byInstance.map((r) => `${r.by_instance}: ${r.n}`).join(', ') || 'nobody'}`,
    );
    if (twice.length) problems.push(`${twice.length} envelopes purged more than once`);
    if (missed.length) problems.push(`${missed.length} expired/revoked envelopes not purged within 20 s`);
    if (stray.length) problems.push(`${stray.length} live envelopes purged`);
    await db.end();

    const reconcileStarted = performance.now();
    const rec = await reconcile(new Api(cluster.url), cluster.databaseUrl, sent);
    log(
      `reconcile: ${rec.acked} acknowledged envelopes, ${rec.opened} live ones opened by every reader ` +
        `(${rec.decryptions} decryptions), ${rec.gone} revoked/expired answer 410, ` +
        `${rec.storedWithoutAck} stored without an acknowledgement, in ${Math.round(performance.now() - reconcileStarted)} ms`,
    );
    problems.push(...rec.problems.slice(0, 20));

    if (jsonOut) {
      const perOp: Record<string, unknown> = {};
      for (const op of stats.latencies.keys())
        perOp[op] = { n: stats.count(op), p50: stats.percentile(50, op), p99: stats.percentile(99, op) };
      await writeFile(
        jsonOut,
        `${JSON.stringify(
          {
            durationMs,
            concurrency,
            users: userCount,
            requests,
            reqPerSec: requests / (elapsed / 1000),
            p50: stats.percentile(50),
            p99: stats.percentile(99),
            perOp,
            acked: rec.acked,
            opened: rec.opened,
            decryptions: rec.decryptions,
            purged: purged.size,
            purgedBy: Object.fromEntries(byInstance.map((r) => [r.by_instance, r.n])),
            lookupAllowed: allowed,
            problems,
          },
          null,
          2,
        )}\n`,
      );
    }
  } finally {
    await cluster.stop();
    await database.drop();
  }
  if (problems.length > 0) {
    log('FAILED:');
    for (const p of problems) log(`  - ${p}`);
    return 1;
  }
  log('OK: no 5xx, nothing lost, limits shared, each expired/revoked envelope purged exactly once');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('load: failed:', error);
    process.exit(1);
  },
);
