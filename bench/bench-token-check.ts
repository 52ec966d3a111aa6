/**
 * `npm run bench:token-check`: what the per-request token-version check costs. Every
 * authenticated request reads the user's `tokenVersion` (server/plugins/external/auth.ts), so a
 * token revoked by a key change or a log out stops working on every instance at once. This runs
 * that very read through Prisma, as the server does, on PGlite and on PostgreSQL:
 *
 * - one at a time: the latency it adds to a request (mean, p50, p99 in µs)
 * - BENCH_CONCURRENCY (default 50) at a time, like the API under autocannon: reads per second
 *
 * beside `SELECT 1` through the same client, the floor of any round trip to the database. The two
 * alternate for BENCH_ROUNDS rounds (default 5) and each figure is the best round's, so a busy
 * shared machine skews both alike rather than whichever ran during a spike.
 * Options (environment): BENCH_READS per round (default 2000), BENCH_DATABASES (pglite,postgres),
 * MIFENG_TEST_PG_URL (the PostgreSQL server; a scratch database is created and dropped).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../harness/postgres-admin';
import { connectDatabase, type Database, migrateDatabase } from '../server/db';

const READS = Number(process.env.BENCH_READS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DATABASES = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');

interface Figures {
  mean: number;
  p50: number;
  p99: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `read` one at a time (latency), then CONCURRENCY at a time (throughput). */
async function measure(read: () => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < 200; i++) await read(); // warm-up: prepared statements, JIT, the pool
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t0 = performance.now();
    await read();
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  let left = READS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await read();
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    perSecond: READS / seconds,
  };
}

/** The best of each figure over the rounds. */
function best(rounds: Figures[]): Figures {
  return {
    mean: Math.min(...rounds.map((r) => r.mean)),
    p50: Math.min(...rounds.map((r) => r.p50)),
    p99: Math.min(...rounds.map((r) => r.p99)),
    perSecond: Math.max(...rounds.map((r) => r.perSecond)),
  };
}

async function benchDatabase(kind: string): Promise<[string, Figures][]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mifeng-bench-token-'));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const scratch = await createScratchDatabase(`mifeng_bench_${randomBytes(4).toString('hex')}`);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  let database: Database | undefined;
  try {
    database = await connectDatabase({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
    await migrateDatabase({ database });
    const { prisma } = database;
    const id = randomBytes(16).toString('base64url');
    await prisma.user.create({ data: { id, openid: `bench-${id}` } });
    // The same call as the auth plugin's revocation check.
    const check = () => prisma.user.findUnique({ where: { id }, select: { tokenVersion: true } });
    const floor = () => prisma.$queryRaw`SELECT 1`;
    const rounds: [Figures[], Figures[]] = [[], []];
    for (let i = 0; i < ROUNDS; i++) {
      rounds[0].push(await measure(floor));
      rounds[1].push(await measure(check));
    }
    return [
      ['SELECT 1 (floor)', best(rounds[0])],
      ['token-version read', best(rounds[1])],
    ];
  } finally {
    await database?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:token-check — best of ${ROUNDS} rounds of ${READS} reads one at a time, then ${CONCURRENCY} at a time`,
  );
  const rows: string[] = [];
  for (const kind of DATABASES) {
    for (const [what, f] of await benchDatabase(kind)) {
      rows.push(
        `| ${kind.padEnd(8)} | ${what.padEnd(18)} | ${f.mean.toFixed(0).padStart(7)} | ${f.p50.toFixed(0).padStart(7)} | ${f.p99.toFixed(0).padStart(7)} | ${Math.round(f.perSecond).toString().padStart(9)} |`,
      );
    }
  }
  console.log('| database | read               | mean µs | p50 µs  | p99 µs  | reads/s   |');
  console.log('| -------- | ------------------ | ------- | ------- | ------- | --------- |');
  for (const r of rows) console.log(r);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
