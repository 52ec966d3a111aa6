/**
 * `fastify.transparencyLog`: the key transparency log's storage, proofs and signed heads
 * (docs/transparency.md), and `appendLogLeaf`, which repositories call inside the transaction that
 * changes a key, so a key is current exactly when its event is in the log.
 *
 * Appends are serialised by a transaction-scoped advisory lock, so instances sharing one PostgreSQL
 * append one after another; the primary key on the index refuses a second leaf at the same
 * position even if the lock were bypassed. Every aligned perfect subtree's hash is stored
 * (`log_nodes`), so roots and proofs read O(log n) rows in one query.
 */
import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import type {
  ConsistencyProof,
  InclusionProof,
  KeyInclusion,
  LogEntry,
  LogKeyResponse,
} from '../../../shared/api/log';
import { sm2PublicKey } from '../../../shared/crypto';
import { base64urlEncode } from '../../../shared/encoding';
import { type ErrorName, MifengError } from '../../../shared/errors';
import { keyId } from '../../../shared/protocol';
import {
  appendHashes,
  appendSiblings,
  consistencyRanges,
  emptyRoot,
  encodeLeaf,
  foldNodes,
  inclusionRanges,
  type LogKeyRotation,
  type LogLeaf,
  leafHash,
  type NodeId,
  perfectNodes,
  type Range,
  type SignedTreeHead,
  signTreeHead,
} from '../../../shared/transparency';
import type { Prisma as PrismaNamespace } from '../../generated/prisma/client';

declare module 'fastify' {
  interface FastifyInstance {
    transparencyLog: ReturnType<typeof createTransparencyLog>;
  }
}

type Prisma = import('fastify').FastifyInstance['prisma'];
type Db = Prisma | PrismaNamespace.TransactionClient;

/** The advisory lock key every append takes (ASCII "mflog"): one log per database. */
const APPEND_LOCK = 0x6d666c6f67;

/** The signature nonces' source: the operating system's CSPRNG. */
const nodeRandom = (length: number) => new Uint8Array(randomBytes(length));

const nodeKey = (node: NodeId) => `${node.level}/${node.index}`;

/** The log's size: one more than the last index. */
async function logSize(db: Db): Promise<number> {
  const last = await db.logLeaf.findFirst({ orderBy: { index: 'desc' }, select: { index: true } });
  return last ? last.index + 1 : 0;
}

/** The stored hashes of `nodes`, by `nodeKey`, in one query. */
async function readNodes(db: Db, nodes: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (nodes.length === 0) return found;
  const rows = await db.logNode.findMany({
    where: { OR: nodes.map(({ level, index }) => ({ level, index })) },
  });
  for (const row of rows) found.set(nodeKey(row), new Uint8Array(row.hash));
  return found;
}

function stored(map: Map<string, Uint8Array>, node: NodeId): Uint8Array {
  const hash = map.get(nodeKey(node));
  // A gap here means the tables were edited by hand: refuse to answer rather than sign a wrong root.
  if (!hash) throw new Error(`transparency log node ${nodeKey(node)} is missing`);
  return hash;
}

/** The hashes of `ranges`, from their perfect subtrees, in one query. */
async function rangeHashes(db: Db, ranges: readonly Range[]): Promise<Uint8Array[]> {
  const split = ranges.map(perfectNodes);
  const map = await readNodes(db, split.flat());
  return split.map((nodes) => foldNodes(nodes.map((node) => stored(map, node))));
}

/**
 * Appends `leaf` to the log inside the caller's transaction and answers its index. Takes the append
 * lock, which is held until that transaction ends.
 */
export async function appendLogLeaf(tx: PrismaNamespace.TransactionClient, leaf: LogLeaf): Promise<number> {
  const body = encodeLeaf(leaf);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${APPEND_LOCK}::bigint)`;
  const index = await logSize(tx);
  const siblings = await readNodes(tx, appendSiblings(index));
  const made = appendHashes(index, leafHash(body), (node) => stored(siblings, node));
  await tx.logLeaf.create({
    data: { index, userId: leaf.userId, keyId: leaf.keyId, kind: leaf.kind, body: Uint8Array.from(body) },
  });
  await tx.logNode.createMany({
    data: made.map(({ node, hash }) => ({
      level: node.level,
      index: node.index,
      hash: Uint8Array.from(hash),
    })),
  });
  return index;
}

/**
 * Appends a leaf for every user whose current key has none: keys made current before the log
 * existed (the migration that created it started it empty). Each gets the event that made it
 * current, as the key history recorded it (`register`, `reset`, or `signed-change` with its
 * statement), at that event's time; a key without a recorded event is logged as `register`.
 * Runs under the append lock and looks again for missing keys there, so running it twice, or on
 * several instances starting at once, appends each key once. Answers how many leaves it appended.
 */
export async function backfillLog(prisma: Prisma, now: () => Date = () => new Date()): Promise<number> {
  const missingKeys = (db: Db) =>
    db.$queryRaw<{ user_id: string; key_id: string }[]>`
      SELECT u.id AS user_id, u.current_key_id AS key_id FROM users u
      WHERE u.current_key_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.key_id = u.current_key_id)
      ORDER BY u.created_at, u.id`;
  // Nearly every start finds nothing to do: only then is the lock taken.
  if ((await missingKeys(prisma)).length === 0) return 0;
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${APPEND_LOCK}::bigint)`;
      const missing = await missingKeys(tx);
      for (const { user_id: userId, key_id: current } of missing) {
        const key = await tx.userKey.findUniqueOrThrow({
          where: { keyId: current },
          select: { publicKey: true },
        });
        const event = await tx.keyEvent.findFirst({
          where: { userId, keyId: current },
          orderBy: { id: 'desc' },
          select: { kind: true, statement: true, at: true },
        });
        const base = {
          userId,
          publicKey: base64urlEncode(new Uint8Array(key.publicKey)),
          keyId: current,
          time: (event?.at ?? now()).toISOString(),
        };
        const recorded: LogLeaf | null =
          event?.kind === 'signed-change' && event.statement
            ? { ...base, kind: 'signed-change', statement: event.statement as LogLeaf['statement'] }
            : event?.kind === 'reset'
              ? { ...base, kind: 'reset' }
              : null;
        let leaf: LogLeaf = { ...base, kind: 'register' };
        if (recorded) {
          try {
            encodeLeaf(recorded);
            leaf = recorded;
          } catch {
            // A stored statement that no longer makes a valid leaf: the key is still logged.
          }
        }
        await appendLogLeaf(tx, leaf);
      }
      return missing.length;
    },
    { timeout: 120_000 },
  );
}

function toEntry(row: { index: number; body: Uint8Array }): LogEntry {
  return { index: row.index, leaf: JSON.parse(new TextDecoder().decode(row.body)) as LogLeaf };
}

/** The log key pair and the rotations from the key clients were built with to this one. */
export interface LogSigner {
  privateKey: Uint8Array;
  rotations: LogKeyRotation[];
}

export function createTransparencyLog(prisma: Prisma, signer: LogSigner, now: () => Date = () => new Date()) {
  const publicKey = sm2PublicKey(signer.privateKey);
  const keyPair = { privateKey: signer.privateKey, publicKey };

  /** Throws `name` unless `size` ≤ the log's current size. */
  const requireSize = async (size: number, name: ErrorName = 'NotFound') => {
    const current = await logSize(prisma);
    if (size > current) throw new MifengError(name, `the log has ${current} leaves, not ${size}`);
  };

  return {
    size: () => logSize(prisma),

    /** The log's public key, keyId and rotations: what `GET /log/key` answers. */
    key(): LogKeyResponse {
      return { publicKey: base64urlEncode(publicKey), keyId: keyId(publicKey), rotations: signer.rotations };
    },

    /**
     * The signed head of the log as it is now. The first head signed for a size is stored and
     * served from then on, so every instance and every client sees one head per size.
     */
    async latestHead(): Promise<SignedTreeHead> {
      const size = await logSize(prisma);
      const existing = await prisma.logHead.findUnique({ where: { size } });
      if (!existing) {
        const root = size === 0 ? emptyRoot() : (await rangeHashes(prisma, [{ start: 0, end: size }]))[0]!;
        const head = signTreeHead(keyPair, { size, root, time: now() }, nodeRandom);
        await prisma.logHead.createMany({
          data: [
            {
              size,
              root: Uint8Array.from(root),
              time: new Date(head.time),
              key: head.key,
              sig: Buffer.from(head.sig, 'base64url'),
            },
          ],
          skipDuplicates: true,
        });
      }
      const row = await prisma.logHead.findUniqueOrThrow({ where: { size } });
      return {
        size: row.size,
        root: base64urlEncode(new Uint8Array(row.root)),
        time: row.time.toISOString(),
        key: row.key,
        sig: base64urlEncode(new Uint8Array(row.sig)),
      };
    },

    /** Inclusion proof of leaf `index` in the tree of `size` leaves. */
    async inclusionProof(index: number, size: number): Promise<InclusionProof> {
      if (index >= size) throw new MifengError('ValidationFailed', 'index must be below size');
      await requireSize(size);
      const proof = await rangeHashes(prisma, inclusionRanges(index, size));
      return { index, size, proof: proof.map(base64urlEncode) };
    },

    /** Consistency proof from the tree of `first` leaves to the tree of `second` leaves. */
    async consistencyProof(first: number, second: number): Promise<ConsistencyProof> {
      if (first > second) throw new MifengError('ValidationFailed', 'first must not exceed second');
      await requireSize(second);
      const proof = await rangeHashes(prisma, consistencyRanges(first, second));
      return { first, second, proof: proof.map(base64urlEncode) };
    },

    /**
     * The newest event of key `keyId` with an inclusion proof against the newest head, or
     * undefined for a key that has no event (made current before the log existed).
     */
    async keyInclusion(keyId: string): Promise<KeyInclusion | undefined> {
      const row = await prisma.logLeaf.findFirst({
        where: { keyId },
        orderBy: { index: 'desc' },
        select: { index: true, body: true },
      });
      if (!row) return undefined;
      const head = await this.latestHead();
      const { proof } = await this.inclusionProof(row.index, head.size);
      return { ...toEntry(row), head, proof };
    },

    /** Every key event of `userId`, oldest first. */
    async userEvents(userId: string): Promise<LogEntry[]> {
      const rows = await prisma.logLeaf.findMany({
        where: { userId },
        orderBy: { index: 'asc' },
        select: { index: true, body: true },
      });
      return rows.map(toEntry);
    },

    /** Leaves from `start`, at most `limit`. */
    async leaves(start: number, limit: number): Promise<{ size: number; leaves: LogEntry[] }> {
      const size = await logSize(prisma);
      const rows = await prisma.logLeaf.findMany({
        where: { index: { gte: start, lt: size } },
        orderBy: { index: 'asc' },
        take: limit,
        select: { index: true, body: true },
      });
      return { size, leaves: rows.map(toEntry) };
    },
  };
}

export default fp(
  async (fastify) => {
    // Keys from before the log get their leaves before this instance answers anything.
    const appended = await backfillLog(fastify.prisma);
    if (appended > 0) fastify.log.info({ appended }, 'transparency log: logged keys made current before it');
    fastify.decorate(
      'transparencyLog',
      createTransparencyLog(fastify.prisma, {
        privateKey: fastify.config.LOG_SIGNING_KEY,
        rotations: fastify.config.LOG_KEY_ROTATIONS,
      }),
    );
  },
  { name: 'transparency-log', dependencies: ['prisma', 'config'] },
);
