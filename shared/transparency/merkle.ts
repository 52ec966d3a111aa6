/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2) with SM3 (GB/T 32905) as the hash:
 *
 *   MTH({})       = SM3()
 *   MTH({d0})     = SM3(00 ‖ d0)
 *   MTH(D[n])     = SM3(01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k the largest power of two < n
 *
 * What this module adds to the RFC: proofs are first described as leaf ranges (`Range`), and every
 * range that occurs in a proof is split into aligned perfect subtrees (`perfectNodes`). A log that
 * stores the hash of every aligned perfect subtree (about 2n hashes for n leaves) therefore answers
 * any proof from O(log n) stored hashes, and an append stores O(1) amortised, O(log n) at worst.
 *
 * Sizes and indexes are plain numbers (exact up to 2^53); bit operations are avoided for that reason.
 */
import { sm3 } from '../crypto';
import { abytes, anumber } from '../guards';

/** Bytes of every hash in the tree (SM3). */
export const HASH_LENGTH = 32;
/** RFC 9162 §2.1.1 domain separation prefixes. */
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
/** Largest tree size and index this module handles exactly. */
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

/** Leaves [start, end) of the tree: the subtree whose hash is MTH(D[start:end]). */
export interface Range {
  start: number;
  end: number;
}

/** An aligned perfect subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  level: number;
  index: number;
}

/** SM3(00 ‖ leaf): the hash of one leaf's bytes. */
export function leafHash(leaf: Uint8Array): Uint8Array {
  abytes(leaf, undefined, 'leaf');
  const input = new Uint8Array(leaf.length + 1);
  input[0] = LEAF_PREFIX;
  input.set(leaf, 1);
  return sm3(input);
}

/** SM3(01 ‖ left ‖ right): the hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  abytes(left, HASH_LENGTH, 'left');
  abytes(right, HASH_LENGTH, 'right');
  const input = new Uint8Array(1 + 2 * HASH_LENGTH);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_LENGTH);
  return sm3(input);
}

/** MTH of the empty tree: SM3 of nothing. */
export function emptyRoot(): Uint8Array {
  return sm3(new Uint8Array(0));
}

/** The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && splitPoint(n + 1) === n;
}

/**
 * [start, end) as aligned perfect subtrees, left to right. For every range a proof names (a node
 * of the RFC 9162 tree) their sizes strictly decrease, so the range's hash is `foldNodes` of theirs.
 */
export function perfectNodes(range: Range): NodeId[] {
  const { start, end } = range;
  anumber(start, 0, MAX_SIZE, 'start');
  anumber(end, start + 1, MAX_SIZE, 'end');
  const nodes: NodeId[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    let level = 0;
    while (at % (size * 2) === 0 && at + size * 2 <= end) {
      size *= 2;
      level++;
    }
    nodes.push({ level, index: at / size });
    at += size;
  }
  return nodes;
}

/** The hash of a range from the hashes of its `perfectNodes`, in the same order. */
export function foldNodes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new RangeError('hashes must not be empty');
  let hash = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) hash = nodeHash(hashes[i]!, hash);
  return hash;
}

/**
 * The ranges whose hashes make the inclusion proof of leaf `index` in a tree of `size` leaves
 * (RFC 9162 §2.1.3.1, PATH), in proof order: the leaf's sibling first, the root's child last.
 */
export function inclusionRanges(index: number, size: number): Range[] {
  anumber(size, 1, MAX_SIZE, 'size');
  anumber(index, 0, size - 1, 'index');
  const fromRoot: Range[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const mid = start + splitPoint(end - start);
    if (index < mid) {
      fromRoot.push({ start: mid, end });
      end = mid;
    } else {
      fromRoot.push({ start, end: mid });
      start = mid;
    }
  }
  return fromRoot.reverse();
}

/**
 * The ranges whose hashes make the consistency proof from a tree of `first` leaves to one of
 * `second` leaves (RFC 9162 §2.1.4.1, PROOF and SUBPROOF), in proof order. Empty when
 * `first` is 0 or equals `second`.
 */
export function consistencyRanges(first: number, second: number): Range[] {
  anumber(second, 0, MAX_SIZE, 'second');
  anumber(first, 0, second, 'first');
  if (first === 0 || first === second) return [];
  const fromRoot: Range[] = [];
  let start = 0;
  let end = second;
  let m = first;
  // SUBPROOF(m, D[start:end], b): b is true until the first step to the right.
  let whole = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      fromRoot.push({ start: start + k, end });
      end = start + k;
    } else {
      fromRoot.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  const proof = fromRoot.reverse();
  return whole ? proof : [{ start, end }, ...proof];
}

/** The aligned perfect subtrees an append of leaf `index` completes, lowest first (the leaf itself first). */
export function completedNodes(index: number): NodeId[] {
  anumber(index, 0, MAX_SIZE - 1, 'index');
  const nodes: NodeId[] = [{ level: 0, index }];
  let level = 0;
  let at = index;
  while (at % 2 === 1) {
    at = (at - 1) / 2;
    level++;
    nodes.push({ level, index: at });
  }
  return nodes;
}

/**
 * The hashes an append of leaf `index` stores: for each completed node (`completedNodes`) its hash,
 * from the leaf hash and the left siblings (`left(level, index)` gives a stored node's hash).
 */
export function appendHashes(
  index: number,
  leaf: Uint8Array,
  left: (node: NodeId) => Uint8Array,
): { node: NodeId; hash: Uint8Array }[] {
  abytes(leaf, HASH_LENGTH, 'leaf');
  const nodes = completedNodes(index);
  const out = [{ node: nodes[0]!, hash: leaf }];
  for (let i = 1; i < nodes.length; i++) {
    const below = nodes[i - 1]!;
    const sibling = left({ level: below.level, index: below.index - 1 });
    out.push({ node: nodes[i]!, hash: nodeHash(sibling, out[i - 1]!.hash) });
  }
  return out;
}

/** The left siblings `appendHashes(index, …)` asks for. */
export function appendSiblings(index: number): NodeId[] {
  return completedNodes(index)
    .slice(0, -1)
    .map((node) => ({ level: node.level, index: node.index - 1 }));
}

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function checkHashes(proof: readonly Uint8Array[]): void {
  for (const [i, hash] of proof.entries()) abytes(hash, HASH_LENGTH, `proof[${i}]`);
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` shows that the leaf with hash `leaf` sits at `index` in the
 * tree of `size` leaves whose root is `root`. False for any inconsistency, never throws on data.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  anumber(size, 0, MAX_SIZE, 'size');
  anumber(index, 0, MAX_SIZE, 'index');
  abytes(leaf, HASH_LENGTH, 'leaf');
  abytes(root, HASH_LENGTH, 'root');
  checkHashes(proof);
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(r, root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows that the tree of `first` leaves with root `firstRoot`
 * is a prefix of the tree of `second` leaves with root `secondRoot`. Equal sizes need an empty
 * proof and equal roots; a first size of 0 needs an empty proof. False for any inconsistency.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  anumber(first, 0, MAX_SIZE, 'first');
  anumber(second, 0, MAX_SIZE, 'second');
  abytes(firstRoot, HASH_LENGTH, 'firstRoot');
  abytes(secondRoot, HASH_LENGTH, 'secondRoot');
  checkHashes(proof);
  if (first > second) return false;
  if (first === 0) return proof.length === 0;
  if (first === second) return proof.length === 0 && equalHashes(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, firstRoot) && equalHashes(sr, secondRoot);
}
