/**
 * Generates tests/vectors/transparency-v1.json, the published test vectors of the key transparency
 * log (docs/transparency.md §Test vectors): leaf encodings, tree heads and every inclusion and
 * consistency proof for sizes 1–8, roots and sample proofs of larger trees, a signed tree head and
 * a log key rotation.
 *
 *   npx tsx scripts/make-transparency-vectors.ts           writes the file
 *   npx tsx scripts/make-transparency-vectors.ts --check   exits 1 if the file differs
 *
 * Keys and randomness as in the protocol vectors (scripts/make-vectors.ts): user u's private key is
 * SM3(UTF-8("mifeng/protocol-v1/test-key/" ‖ u)); signatures draw from the labelled SM3 stream.
 */
import { fileURLToPath } from 'node:url';
import { sm2Sign } from '../shared/crypto';
import { base64urlEncode, utf8Decode, utf8Encode } from '../shared/encoding';
import { canonicalize, keyId } from '../shared/protocol';
import {
  consistencyRanges,
  encodeLeaf,
  foldNodes,
  inclusionRanges,
  type LogLeaf,
  leafHash,
  nodeHash,
  perfectNodes,
  type Range,
  signLogKeyRotation,
  signTreeHead,
} from '../shared/transparency';
import { vectorIdentity, vectorRandom, writeOrCheck } from './make-vectors';

export const TRANSPARENCY_VECTORS_PATH = fileURLToPath(
  new URL('../tests/vectors/transparency-v1.json', import.meta.url),
);

/** Leaves of the vector trees: leaf i is an event of user `user-<i mod 5>` at 00:00:i UTC. */
const LEAF_COUNT = 100;
const SMALL_SIZES = [1, 2, 3, 4, 5, 6, 7, 8];
const LARGE_SIZES = [13, 31, 32, 33, 64, 100];
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

function timeAt(i: number): string {
  return new Date(T0 + i * 1000).toISOString();
}

/** A key-change statement of the shape the log carries: signed by the old key over its JCS form. */
function changeStatement(user: string, oldKey: string, newKey: string, time: string) {
  const old = vectorIdentity(oldKey);
  const next = vectorIdentity(newKey);
  const unsigned = {
    user,
    previous: keyId(old.publicKey),
    publicKey: base64urlEncode(next.publicKey),
    time,
  };
  const sig = sm2Sign(old.privateKey, utf8Encode(canonicalize(unsigned)), vectorRandom(`statement/${user}`));
  return { ...unsigned, sig: base64urlEncode(sig) };
}

/** The fixed leaves: registrations, then every 10th event a signed change, every 10th + 7 a reset. */
function buildLeaves(): LogLeaf[] {
  const leaves: LogLeaf[] = [];
  const generation = new Map<string, number>();
  for (let i = 0; i < LEAF_COUNT; i++) {
    const userId = `user-${i % 5}`;
    const before = generation.get(userId);
    const now = before === undefined ? 0 : before + 1;
    generation.set(userId, now);
    const key = vectorIdentity(`${userId}/${now}`);
    const time = timeAt(i);
    const kind = before === undefined ? 'register' : i % 10 === 7 ? 'reset' : 'change';
    const leaf: LogLeaf = {
      userId,
      publicKey: base64urlEncode(key.publicKey),
      keyId: keyId(key.publicKey),
      kind,
      time,
    };
    if (kind === 'change')
      leaf.statement = changeStatement(userId, `${userId}/${before}`, `${userId}/${now}`, time);
    leaves.push(leaf);
  }
  return leaves;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

export function buildTransparencyVectors() {
  const leaves = buildLeaves();
  const hashes = leaves.map((leaf) => leafHash(encodeLeaf(leaf)));
  /** Every range from its perfect subtrees, each folded from the leaf hashes (memoised by range). */
  const memo = new Map<string, Uint8Array>();
  const hashOf = ({ start, end }: Range): Uint8Array => {
    const id = `${start}-${end}`;
    let hash = memo.get(id);
    if (!hash) {
      if (end - start === 1) hash = hashes[start]!;
      else {
        const nodes = perfectNodes({ start, end });
        if (nodes.length > 1) {
          hash = foldNodes(
            nodes.map(({ level, index }) =>
              hashOf({ start: index * 2 ** level, end: (index + 1) * 2 ** level }),
            ),
          );
        } else {
          const mid = start + (end - start) / 2;
          hash = nodeHash(hashOf({ start, end: mid }), hashOf({ start: mid, end }));
        }
      }
      memo.set(id, hash);
    }
    return hash;
  };
  const root = (size: number) => hex(hashOf({ start: 0, end: size }));
  const inclusion = (index: number, size: number) => ({
    index,
    size,
    proof: inclusionRanges(index, size).map((r) => hex(hashOf(r))),
  });
  const consistency = (first: number, second: number) => ({
    first,
    second,
    proof: consistencyRanges(first, second).map((r) => hex(hashOf(r))),
  });

  const log = vectorIdentity('log');
  const nextLog = vectorIdentity('log/1');
  const headTime = new Date('2026-12-01T01:00:00.000Z');
  const head = signTreeHead(
    log,
    { size: 8, root: hashOf({ start: 0, end: 8 }), time: headTime },
    vectorRandom('head/8'),
  );
  const rotation = signLogKeyRotation(log, nextLog.publicKey, headTime, vectorRandom('rotation/1'));

  return {
    description:
      'Mifeng key transparency log test vectors (docs/transparency.md). Hashes are lower-case hex; leaf i of the trees is leaves[i]. Generated by scripts/make-transparency-vectors.ts.',
    hash: 'SM3; leaf hash = SM3(00 || leaf bytes), node hash = SM3(01 || left || right) (RFC 9162 section 2.1)',
    leaves: leaves.map((leaf, i) => {
      const bytes = encodeLeaf(leaf);
      return { index: i, leaf, canonical: utf8Decode(bytes), leafHash: hex(hashes[i]!) };
    }),
    trees: [
      ...SMALL_SIZES.map((size) => ({
        size,
        root: root(size),
        inclusion: Array.from({ length: size }, (_, index) => inclusion(index, size)),
        consistency: Array.from({ length: size - 1 }, (_, m) => consistency(m + 1, size)),
      })),
      ...LARGE_SIZES.map((size) => ({
        size,
        root: root(size),
        inclusion: [0, 1, Math.floor(size / 2), size - 2, size - 1].map((index) => inclusion(index, size)),
        consistency: [1, 7, 8, Math.floor(size / 2), size - 1]
          .filter((m) => m < size)
          .map((m) => consistency(m, size)),
      })),
    ],
    logKey: {
      description:
        'the log key of these vectors: the test identity "log"; the rotation hands over to "log/1"',
      privateKey: base64urlEncode(log.privateKey),
      publicKey: base64urlEncode(log.publicKey),
      keyId: keyId(log.publicKey),
      nextPublicKey: base64urlEncode(nextLog.publicKey),
    },
    signedTreeHead: { randomLabel: 'head/8', head },
    rotation: { randomLabel: 'rotation/1', rotation },
  };
}

export function transparencyVectorsText(): string {
  return `${JSON.stringify(buildTransparencyVectors(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(
    TRANSPARENCY_VECTORS_PATH,
    transparencyVectorsText(),
    'npx tsx scripts/make-transparency-vectors.ts',
  );
}
