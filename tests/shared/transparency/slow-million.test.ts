// Proofs in a tree of 1 000 000 leaves: every aligned perfect subtree is built level by level in
// flat arrays (independently of appendHashes), and proofs assembled from them for random leaves
// and sizes — the way the server assembles them from stored hashes — verify; altered ones do not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  consistencyRanges,
  foldNodes,
  inclusionRanges,
  leafHash,
  nodeHash,
  perfectNodes,
  type Range,
  verifyConsistency,
  verifyInclusion,
} from '../../../shared/transparency';

const SIZE = 1_000_000;
const HASH = 32;

describe('a tree of 1 000 000 leaves', { timeout: 15 * 60_000 }, () => {
  // levels[l] holds the hashes of the complete subtrees of 2^l leaves, 32 bytes each, left to right.
  const levels: Uint8Array[] = [];
  const leaf = new Uint8Array(8);
  const view = new DataView(leaf.buffer);
  const at = (level: number, index: number) => levels[level]!.subarray(index * HASH, (index + 1) * HASH);
  const rangeHash = (range: Range) =>
    foldNodes(perfectNodes(range).map(({ level, index }) => at(level, index)));
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };

  it('builds every perfect subtree', () => {
    const leaves = new Uint8Array(SIZE * HASH);
    for (let i = 0; i < SIZE; i++) {
      view.setFloat64(0, i);
      leaves.set(leafHash(leaf), i * HASH);
    }
    levels[0] = leaves;
    for (let level = 1, count = SIZE >> 1; count > 0; level++, count >>= 1) {
      const hashes = new Uint8Array(count * HASH);
      for (let i = 0; i < count; i++)
        hashes.set(nodeHash(at(level - 1, 2 * i), at(level - 1, 2 * i + 1)), i * HASH);
      levels[level] = hashes;
    }
    assert.equal(levels.length, 20);
  });

  it('inclusion proofs of random leaves verify against the root, and fail once altered', () => {
    const root = rangeHash({ start: 0, end: SIZE });
    for (let n = 0; n < 500; n++) {
      const index = random(SIZE);
      const proof = inclusionRanges(index, SIZE).map(rangeHash);
      assert.ok(proof.length >= 19 && proof.length <= 20);
      assert.equal(verifyInclusion(index, SIZE, at(0, index), proof, root), true, `leaf ${index}`);
      assert.equal(verifyInclusion(index ^ 1, SIZE, at(0, index), proof, root), false);
    }
  });

  it('consistency proofs from random sizes verify, and fail against another history', () => {
    const root = rangeHash({ start: 0, end: SIZE });
    for (let n = 0; n < 500; n++) {
      const first = 1 + random(SIZE - 1);
      const firstRoot = rangeHash({ start: 0, end: first });
      const proof = consistencyRanges(first, SIZE).map(rangeHash);
      assert.equal(verifyConsistency(first, SIZE, firstRoot, root, proof), true, `from ${first}`);
      const forged = Uint8Array.from(firstRoot);
      forged[0]! ^= 1;
      assert.equal(verifyConsistency(first, SIZE, forged, root, proof), false);
    }
  });
});
