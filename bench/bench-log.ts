/**
 * `npm run bench:log`: the transparency log at 1 000 000 leaves, next to the same log at 1 000
 * and to the floor of one database transaction, on PostgreSQL and PGlite.
 *
 * Fills the log with register events (bulk inserts of the leaves and of every perfect subtree's
 * hash, computed here with shared/transparency exactly as appends compute them), then measures,
 * through the server's own code (server/plugins/app/transparency-log.ts):
 *
 * - append        one key event appended in its own transaction (lock, size, siblings, inserts)
 * - head          signing the head of a new size (root from O(log n) nodes, one SM2 signature)
 * - inclusion     an inclusion proof of a random leaf against the current size
 * - consistency   a consistency proof from a random earlier size to the current one
 * - verify        the client's checks of those two proofs (shared/transparency, no database)
 * - floor         `SELECT 1` in a transaction: what any database round trip costs
 *
 * Options (environment): BENCH_LOG_LEAVES (default 1000000), BENCH_DATABASES (postgres,pglite),
 * BENCH_LOG_SAMPLES (timed operations per row, default 200), MIFENG_TEST_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, postgresUnavailable } from '../harness/postgres-admin';
import { connectDatabase, type Database } from '../server/db/connect';
import { migrateDatabase } from '../server/db/migrations';
import { appendLogLeaf, createTransparencyLog } from '../server/plugins/app/transparency-log';
import { sm2GenerateKeyPair } from '../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../shared/encoding';
import { keyId } from '../shared/protocol';
import {
  appendHashes,
  encodeLeaf,
  foldNodes,
  type LogLeaf,
  leafHash,
  perfectNodes,
  verifyConsistency,
  verifyInclusion,
} from '../shared/transparency';

const LEAVES = Number(process.env.BENCH_LOG_LEAVES ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_LOG_SAMPLES ?? 200);
const DATABASES = (process.env.BENCH_DATABASES ?? 'postgres,pglite').split(',').filter(Boolean);
const SMALL = 1_000;
/** Leaves per bulk insert. */
const BATCH = 10_000;

const nodeRandom = (n: number) => new Uint8Array(randomBytes(n));
const KEYS = Array.from({ length: 64 }, () => sm2GenerateKeyPair(nodeRandom).publicKey);
const KEY_IDS = KEYS.map(keyId);
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

/**
 * leafAt(i)'s canonical bytes written directly (encodeLeaf validates each leaf with its schema,
 * about 0.15 ms, which would dominate filling a million); checked against encodeLeaf in main().
 */
function fastLeafBytes(i: number): Uint8Array {
  const key = KEYS[i % KEYS.length]!;
  const time = new Date(T0 + i).toISOString();
  return new TextEncoder().encode(
    `{"keyId":"${KEY_IDS[i % KEYS.length]}","kind":"register","publicKey":"${base64urlEncode(key)}","time":"${time}","userId":"bench-${i}"}`,
  );
}

function leafAt(i: number): LogLeaf {
  const key = KEYS[i % KEYS.length]!;
  return {
    userId: `bench-${i}`,
    publicKey: base64urlEncode(key),
    keyId: keyId(key),
    kind: 'register',
    time: new Date(T0 + i).toISOString(),
  };
}

/** The builder of bulk rows: the hash of the last completed subtree at each level. */
class Filler {
  readonly frontier: Uint8Array[] = [];
  size = 0;

  constructor(private readonly database: Database) {}

  /** Continues after appends made elsewhere: the last completed subtree of each level, from the database. */
  async resync(size: number): Promise<void> {
    const wanted: { level: number; index: number }[] = [];
    for (let level = 0; 2 ** level <= size; level++)
      wanted.push({ level, index: Math.floor(size / 2 ** level) - 1 });
    const rows = await this.database.prisma.logNode.findMany({ where: { OR: wanted } });
    for (const row of rows) this.frontier[row.level] = new Uint8Array(row.hash);
    this.size = size;
  }

  async fillTo(target: number): Promise<void> {
    while (this.size < target) {
      const end = Math.min(target, this.size + BATCH);
      const leaves: { index: number; userId: string; keyId: string; kind: string; body: Uint8Array }[] = [];
      const nodes: { level: number; index: number; hash: Uint8Array }[] = [];
      for (let i = this.size; i < end; i++) {
        const body = fastLeafBytes(i);
        leaves.push({
          index: i,
          userId: `bench-${i}`,
          keyId: KEY_IDS[i % KEYS.length]!,
          kind: 'register',
          body,
        });
        for (const { node, hash } of appendHashes(i, leafHash(body), (n) => this.frontier[n.level]!)) {
          this.frontier[node.level] = hash;
          nodes.push({ level: node.level, index: node.index, hash });
        }
      }
      const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
      // One statement per table and batch: arrays unnested server-side (bytea as hex text).
      await this.database.prisma.$executeRaw`
        INSERT INTO log_leaves (index, user_id, key_id, kind, body)
        SELECT i, u, k, d, decode(b, 'hex') FROM unnest(
          ${leaves.map((l) => l.index)}::int[], ${leaves.map((l) => l.userId)}::text[],
          ${leaves.map((l) => l.keyId)}::text[], ${leaves.map((l) => l.kind)}::text[],
          ${leaves.map((l) => hex(l.body))}::text[]) AS t(i, u, k, d, b)`;
      await this.database.prisma.$executeRaw`
        INSERT INTO log_nodes (level, index, hash)
        SELECT l, i, decode(h, 'hex') FROM unnest(
          ${nodes.map((n) => n.level)}::int[], ${nodes.map((n) => n.index)}::int[],
          ${nodes.map((n) => hex(n.hash))}::text[]) AS t(l, i, h)`;
      this.size = end;
      if (this.size % 100_000 === 0) process.stderr.write(`  ${this.size} leaves\n`);
    }
  }
}

interface Timing {
  median: number;
  p99: number;
}

async function timed(samples: number, fn: (i: number) => Promise<unknown> | unknown): Promise<Timing> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)]!,
    p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
  };
}

const randomBelow = (n: number) => Math.floor(Math.random() * n);

/** Every measurement at the log's current size. */
async function measure(database: Database, filler: Filler): Promise<Record<string, Timing>> {
  const prisma = database.prisma;
  const log = createTransparencyLog(prisma, { privateKey: nodeRandom(32), rotations: [] });
  const out: Record<string, Timing> = {};
  out.floor = await timed(SAMPLES, () => prisma.$transaction(async (tx) => tx.$executeRaw`SELECT 1`));
  let next = await log.size();
  out.append = await timed(SAMPLES, () => prisma.$transaction((tx) => appendLogLeaf(tx, leafAt(next++))));
  out.head = await timed(Math.min(SAMPLES, 50), async (i) => {
    if (i > 0) await prisma.$transaction((tx) => appendLogLeaf(tx, leafAt(next++)));
    return log.latestHead();
  });
  const head = await log.latestHead();
  const root = base64urlDecode(head.root);
  const inclusions: { index: number; proof: Uint8Array[] }[] = [];
  out.inclusion = await timed(SAMPLES, async () => {
    const index = randomBelow(head.size);
    const { proof } = await log.inclusionProof(index, head.size);
    inclusions.push({ index, proof: proof.map(base64urlDecode) });
  });
  const consistencies: { first: number; proof: Uint8Array[] }[] = [];
  out.consistency = await timed(SAMPLES, async () => {
    const first = 1 + randomBelow(head.size - 1);
    const { proof } = await log.consistencyProof(first, head.size);
    consistencies.push({ first, proof: proof.map(base64urlDecode) });
  });
  // Client checks, with the roots they need computed outside the timing.
  const leafHashes = inclusions.map(({ index }) => leafHash(encodeLeaf(leafAt(index))));
  out['verify inclusion'] = await timed(inclusions.length, (i) => {
    const { index, proof } = inclusions[i]!;
    if (!verifyInclusion(index, head.size, leafHashes[i]!, proof, root))
      throw new Error('inclusion proof failed');
  });
  const firstRoots = await Promise.all(
    consistencies.map(async ({ first }) => {
      const wanted = perfectNodes({ start: 0, end: first });
      const nodes = await prisma.logNode.findMany({ where: { OR: wanted } });
      const byKey = new Map(nodes.map((n) => [`${n.level}/${n.index}`, new Uint8Array(n.hash)]));
      return foldNodes(wanted.map((n) => byKey.get(`${n.level}/${n.index}`)!));
    }),
  );
  out['verify consistency'] = await timed(consistencies.length, (i) => {
    const { first, proof } = consistencies[i]!;
    if (!verifyConsistency(first, head.size, firstRoots[i]!, root, proof))
      throw new Error('consistency proof failed');
  });
  await filler.resync(next);
  return out;
}

async function openDatabase(kind: string): Promise<{ database: Database; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mifeng-bench-log-'));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const scratch = await createScratchDatabase(`mifeng_bench_log_${randomBytes(4).toString('hex')}`);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const database = await connectDatabase({ dataDir, ...(databaseUrl ? { databaseUrl } : {}) });
  await migrateDatabase({ database });
  return {
    database,
    close: async () => {
      await database.close();
      await drop?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const ms = (t: Timing | undefined) => (t ? `${t.median.toFixed(2)} / ${t.p99.toFixed(2)}` : '—');

async function main(): Promise<void> {
  for (const i of [0, 1, 999_999]) {
    if (Buffer.compare(fastLeafBytes(i), encodeLeaf(leafAt(i))) !== 0)
      throw new Error('fastLeafBytes differs');
  }
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`bench:log — ${LEAVES} leaves, ${SAMPLES} samples per row (median / p99 ms)`);
  const results: {
    database: string;
    small: Record<string, Timing>;
    large: Record<string, Timing>;
    fillS: number;
  }[] = [];
  for (const kind of DATABASES) {
    if (kind === 'postgres') {
      const why = await postgresUnavailable();
      if (why) {
        console.log(`PostgreSQL skipped: ${why}`);
        continue;
      }
    }
    const { database, close } = await openDatabase(kind);
    try {
      const filler = new Filler(database);
      await filler.fillTo(SMALL);
      const small = await measure(database, filler);
      const started = performance.now();
      await filler.fillTo(LEAVES);
      const fillS = (performance.now() - started) / 1000;
      const large = await measure(database, filler);
      results.push({ database: kind, small, large, fillS });
    } finally {
      await close();
    }
  }
  console.log('');
  console.log(
    `load average before: ${loadBefore}; after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('');
  console.log(`| database | operation | at ${SMALL} leaves | at ${LEAVES} leaves |`);
  console.log('| --- | --- | --- | --- |');
  for (const { database, small, large } of results) {
    for (const op of [
      'floor',
      'append',
      'head',
      'inclusion',
      'consistency',
      'verify inclusion',
      'verify consistency',
    ]) {
      console.log(`| ${database} | ${op} | ${ms(small[op])} | ${ms(large[op])} |`);
    }
  }
  for (const { database, fillS } of results) {
    console.log(
      `${database}: bulk fill to ${LEAVES} leaves took ${fillS.toFixed(0)} s (not part of the figures above)`,
    );
  }
}

await main();
