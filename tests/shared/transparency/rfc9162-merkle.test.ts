// shared/transparency/merkle.ts against an independent implementation of RFC 9162 §2.1
// (rfc9162-reference.ts: the RFC's recursive definitions over Node's OpenSSL SM3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  appendHashes,
  appendSiblings,
  consistencyRanges,
  emptyRoot,
  foldNodes,
  inclusionRanges,
  leafHash,
  type NodeId,
  perfectNodes,
  type Range,
  verifyConsistency,
  verifyInclusion,
} from '../../../shared/transparency';
import { mth, path, proof, sm3, testLeaves } from './rfc9162-reference';

const LEAVES = testLeaves(70);
const leafHashes = LEAVES.map(leafHash);

/** Hash of a range from the perfect subtrees it splits into, each computed by the reference. */
function rangeHash(range: Range): Uint8Array {
  return foldNodes(
    perfectNodes(range).map(({ level, index }) =>
      mth(LEAVES.slice(index * 2 ** level, (index + 1) * 2 ** level)),
    ),
  );
}

function flip(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0]! ^= 1;
  return copy;
}

describe('leafHash() and the empty root', () => {
  it('are SM3(00 ‖ leaf) and SM3() as OpenSSL computes them', () => {
    assert.deepEqual(leafHash(LEAVES[3]!), sm3(Uint8Array.of(0), LEAVES[3]!));
    assert.deepEqual(emptyRoot(), mth([]));
  });
  it('rejects invalid inputs', () => {
    assert.throws(() => leafHash('x' as never), TypeError);
    assert.throws(() => foldNodes([]), RangeError);
  });
});

describe('perfectNodes() and foldNodes()', () => {
  it('give the RFC root for every size 1–70', () => {
    for (let n = 1; n <= 70; n++) {
      assert.deepEqual(rangeHash({ start: 0, end: n }), mth(LEAVES.slice(0, n)), `size ${n}`);
    }
  });
  it('split ranges into aligned perfect subtrees of decreasing size', () => {
    assert.deepEqual(perfectNodes({ start: 0, end: 13 }), [
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    assert.deepEqual(perfectNodes({ start: 2 ** 52, end: 2 ** 52 + 3 }), [
      { level: 1, index: 2 ** 51 },
      { level: 0, index: 2 ** 52 + 2 },
    ]);
    assert.throws(() => perfectNodes({ start: 5, end: 5 }), RangeError);
  });
});

describe('inclusionRanges()', () => {
  it('names exactly the hashes of RFC 9162 PATH for every leaf of sizes 1–70', () => {
    for (let n = 1; n <= 70; n++) {
      for (let m = 0; m < n; m++) {
        assert.deepEqual(inclusionRanges(m, n).map(rangeHash), path(m, LEAVES.slice(0, n)), `${m} in ${n}`);
      }
    }
  });
  it('rejects invalid inputs', () => {
    assert.throws(() => inclusionRanges(3, 3), RangeError);
    assert.throws(() => inclusionRanges(0, 0), RangeError);
    assert.throws(() => inclusionRanges(0.5, 3), TypeError);
  });
});

describe('consistencyRanges()', () => {
  it('names exactly the hashes of RFC 9162 PROOF for every pair of sizes 1 ≤ m < n ≤ 70', () => {
    for (let n = 2; n <= 70; n++) {
      for (let m = 1; m < n; m++) {
        assert.deepEqual(
          consistencyRanges(m, n).map(rangeHash),
          proof(m, LEAVES.slice(0, n)),
          `${m} to ${n}`,
        );
      }
    }
  });
  it('is empty from size 0 and between equal sizes', () => {
    assert.deepEqual(consistencyRanges(0, 9), []);
    assert.deepEqual(consistencyRanges(9, 9), []);
  });
  it('rejects invalid inputs', () => {
    assert.throws(() => consistencyRanges(4, 3), RangeError);
    assert.throws(() => consistencyRanges(-1, 3), RangeError);
  });
});

describe('verifyInclusion()', () => {
  it('accepts every RFC proof and refuses every altered one (sizes 1–40)', () => {
    for (let n = 1; n <= 40; n++) {
      const root = mth(LEAVES.slice(0, n));
      for (let m = 0; m < n; m++) {
        const p = path(m, LEAVES.slice(0, n));
        const leaf = leafHashes[m]!;
        assert.equal(verifyInclusion(m, n, leaf, p, root), true, `${m} in ${n}`);
        assert.equal(verifyInclusion(m, n, flip(leaf), p, root), false);
        assert.equal(verifyInclusion(m, n, leaf, p, flip(root)), false);
        assert.equal(verifyInclusion(n, n, leaf, p, root), false, 'index past the tree');
        if (n > 1) {
          assert.equal(verifyInclusion((m + 1) % n, n, leaf, p, root), false, 'another index');
          assert.equal(verifyInclusion(m, n, leaf, p.slice(1), root), false, 'shortened');
          for (let i = 0; i < p.length; i++) {
            const altered = p.map((h, j) => (j === i ? flip(h) : h));
            assert.equal(verifyInclusion(m, n, leaf, altered, root), false);
          }
        }
        assert.equal(verifyInclusion(m, n, leaf, [...p, root], root), false, 'lengthened');
      }
    }
  });
  it('rejects invalid inputs', () => {
    const h = leafHashes[0]!;
    assert.throws(() => verifyInclusion(0, 1, h, [h.subarray(1)], h), RangeError);
    assert.throws(() => verifyInclusion(-1, 1, h, [], h), RangeError);
  });
});

describe('verifyConsistency()', () => {
  it('accepts every RFC proof and refuses every altered one (sizes 1–40)', () => {
    for (let n = 1; n <= 40; n++) {
      const second = mth(LEAVES.slice(0, n));
      for (let m = 1; m < n; m++) {
        const first = mth(LEAVES.slice(0, m));
        const p = proof(m, LEAVES.slice(0, n));
        assert.equal(verifyConsistency(m, n, first, second, p), true, `${m} to ${n}`);
        assert.equal(verifyConsistency(m, n, flip(first), second, p), false);
        assert.equal(verifyConsistency(m, n, first, flip(second), p), false);
        assert.equal(verifyConsistency(m, n, first, second, []), false);
        assert.equal(verifyConsistency(m, n, first, second, p.slice(0, -1)), false);
        assert.equal(verifyConsistency(m, n, first, second, [...p, second]), false);
        for (let i = 0; i < p.length; i++) {
          const altered = p.map((h, j) => (j === i ? flip(h) : h));
          assert.equal(verifyConsistency(m, n, first, second, altered), false);
        }
        // A history rewritten anywhere in the first m leaves has another root at m.
        const rewritten = LEAVES.slice(0, n).map((leaf, i) => (i === m - 1 ? flip(leaf) : leaf));
        assert.equal(verifyConsistency(m, n, first, mth(rewritten), proof(m, rewritten)), false);
      }
    }
  });
  it('treats size 0 and equal sizes as RFC 9162 does', () => {
    const root = mth(LEAVES.slice(0, 5));
    assert.equal(verifyConsistency(0, 5, emptyRoot(), root, []), true);
    assert.equal(verifyConsistency(5, 5, root, root, []), true);
    assert.equal(verifyConsistency(5, 5, root, flip(root), []), false);
    assert.equal(verifyConsistency(5, 4, root, root, []), false);
  });
});

describe('appendHashes()', () => {
  it('builds, one leaf at a time, every perfect subtree the reference computes', () => {
    const stored = new Map<string, Uint8Array>();
    const key = (n: NodeId) => `${n.level}/${n.index}`;
    for (let i = 0; i < LEAVES.length; i++) {
      const asked: NodeId[] = [];
      const made = appendHashes(i, leafHashes[i]!, (node) => {
        asked.push(node);
        const hash = stored.get(key(node));
        assert.ok(hash, `sibling ${key(node)} stored before it is needed`);
        return hash;
      });
      assert.deepEqual(asked, appendSiblings(i));
      for (const { node, hash } of made) {
        stored.set(key(node), hash);
        const span = 2 ** node.level;
        assert.deepEqual(hash, mth(LEAVES.slice(node.index * span, (node.index + 1) * span)));
      }
    }
    assert.equal(stored.size, 2 * LEAVES.length - 3); // 70 leaves: 70 + 35 + 17 + 8 + 4 + 2 + 1 nodes
  });
});
