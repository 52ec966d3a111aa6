/**
 * What a client checks with the log (docs/transparency.md §Client checks), without any I/O: the
 * phone's service fetches heads and proofs and keeps the newest head; these functions decide.
 *
 * - `checkKeyInclusion`: a key the phone seals to or verifies a letter with is the named user's
 *   key in a leaf that the (already verified) head includes.
 * - `checkHeadConsistency`: a new head extends the kept one (or the other way round), by an RFC
 *   9162 consistency proof; two heads that fail it are evidence of a forked log.
 * - `unexplainedOwnKey`: whether the newest key event of the phone's own user was made by the
 *   user: it names a key the phone holds (or held), or it is reached from one by key changes each
 *   signed by the key before it. Anything else was published in the user's name by someone else.
 */
import { base64urlDecode } from '../encoding';
import { verifyKeyChange } from '../protocol';
import type { SignedTreeHead } from './head';
import { encodeLeaf, type LogLeaf } from './leaf';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle';

/** A leaf at its index, with the inclusion proof (base64url hashes) against some head. */
export interface LeafProof {
  index: number;
  leaf: LogLeaf;
  proof: readonly string[];
}

function hashes(proof: readonly string[]): Uint8Array[] | null {
  try {
    const decoded = proof.map(base64urlDecode);
    return decoded.every((h) => h.length === 32) ? decoded : null;
  } catch {
    return null;
  }
}

/**
 * Whether `inclusion` shows that `publicKey` (base64url) is a key of `user` in the tree `head`
 * commits to. The head's signature is the caller's to verify first. Never throws on data.
 */
export function checkKeyInclusion(
  head: SignedTreeHead,
  inclusion: LeafProof,
  expected: { user: string; publicKey: string },
): boolean {
  const { leaf, index } = inclusion;
  if (leaf.userId !== expected.user || leaf.publicKey !== expected.publicKey) return false;
  const proof = hashes(inclusion.proof);
  if (!proof) return false;
  try {
    return verifyInclusion(index, head.size, leafHash(encodeLeaf(leaf)), proof, base64urlDecode(head.root));
  } catch {
    return false;
  }
}

/**
 * Whether two verified heads can both be the same log: the smaller one's tree is a prefix of the
 * larger one's (`proof`: the consistency proof between their sizes, smaller first). Equal sizes
 * need equal roots and no proof.
 */
export function checkHeadConsistency(
  a: SignedTreeHead,
  b: SignedTreeHead,
  proof: readonly string[],
): boolean {
  const [first, second] = a.size <= b.size ? [a, b] : [b, a];
  const decoded = hashes(proof);
  if (!decoded) return false;
  try {
    return verifyConsistency(
      first.size,
      second.size,
      base64urlDecode(first.root),
      base64urlDecode(second.root),
      decoded,
    );
  } catch {
    return false;
  }
}

/**
 * The user's newest event if nobody the user trusts made it, else null. `events` are the user's
 * events oldest first (`GET /log/users/:id`); `own` the keyIds this phone holds or held the private
 * key of. The newest event is the user's when it names an own key, or when it is a signed change
 * whose statement the key listed just before signed, and that key is the user's by the same rule
 * (another phone of the user rotated it, with a key this phone once held).
 */
export function unexplainedOwnKey(
  user: string,
  events: readonly { index: number; leaf: LogLeaf }[],
  own: ReadonlySet<string>,
): { index: number; leaf: LogLeaf } | null {
  const newest = events.at(-1);
  if (!newest) return null;
  for (let i = events.length - 1; i >= 0; i--) {
    const { leaf } = events[i]!;
    if (leaf.userId !== user) return newest;
    if (own.has(leaf.keyId)) return null;
    const before = events[i - 1]?.leaf;
    if (leaf.kind !== 'signed-change' || !leaf.statement || !before) return newest;
    const signed = verifyKeyChange(leaf.statement, {
      user,
      oldPublicKey: base64urlDecode(before.publicKey),
      newPublicKey: base64urlDecode(leaf.publicKey),
    });
    if (!signed) return newest;
  }
  return newest;
}
