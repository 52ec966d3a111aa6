// The client's decisions (shared/transparency/client.ts) on real leaves, heads and proofs: proofs
// computed by the independent RFC 9162 implementation (rfc9162-reference.ts), key changes signed
// for real.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setRandomSource, sm2GenerateKeyPair } from '../../../shared/crypto';
import { base64urlEncode } from '../../../shared/encoding';
import { generateIdentity, type Identity, keyId, signKeyChange } from '../../../shared/protocol';
import {
  checkHeadConsistency,
  checkKeyInclusion,
  encodeLeaf,
  type LogLeaf,
  signTreeHead,
  unexplainedOwnKey,
} from '../../../shared/transparency';
import { mth, path, proof } from './rfc9162-reference';

const random = (n: number) => new Uint8Array(randomBytes(n));
const USER = base64urlEncode(new Uint8Array(16).fill(7));
const OTHER = base64urlEncode(new Uint8Array(16).fill(9));

function leafOf(
  user: string,
  key: Identity,
  kind: LogLeaf['kind'],
  statement?: LogLeaf['statement'],
): LogLeaf {
  return {
    userId: user,
    publicKey: base64urlEncode(key.publicKey),
    keyId: keyId(key.publicKey),
    kind,
    time: '2026-12-02T07:00:00.000Z',
    ...(statement ? { statement } : {}),
  };
}

describe('client checks', () => {
  before(() => setRandomSource(random));
  after(() => setRandomSource(null));

  it('an inclusion proof passes only for the leaf it names, for that user and that key', () => {
    const k1 = generateIdentity(USER);
    const k2 = generateIdentity(OTHER);
    const leaves = [leafOf(USER, k1, 'register'), leafOf(OTHER, k2, 'register'), leafOf(USER, k1, 'reset')];
    const bytes = leaves.map(encodeLeaf);
    const log = sm2GenerateKeyPair(random);
    const head = signTreeHead(log, { size: 3, root: mth(bytes), time: new Date() }, random);
    const at = (index: number) => ({
      index,
      leaf: leaves[index]!,
      proof: path(index, bytes).map(base64urlEncode),
    });
    const expected = { user: USER, publicKey: base64urlEncode(k1.publicKey) };
    assert.equal(checkKeyInclusion(head, at(0), expected), true);
    assert.equal(checkKeyInclusion(head, at(2), expected), true);
    assert.equal(checkKeyInclusion(head, at(1), expected), false, "another user's leaf");
    assert.equal(
      checkKeyInclusion(head, at(0), { user: USER, publicKey: base64urlEncode(k2.publicKey) }),
      false,
      'another key',
    );
    assert.equal(checkKeyInclusion(head, { ...at(0), index: 2 }, expected), false, 'the wrong index');
    assert.equal(checkKeyInclusion(head, { ...at(0), proof: ['not base64url!'] }, expected), false);
    assert.equal(checkKeyInclusion(head, { ...at(0), proof: [] }, expected), false);
  });

  it('heads are consistent when one extends the other, in either order; a rewritten past is not', () => {
    const k = generateIdentity(USER);
    const bytes = Array.from({ length: 7 }, (_, i) =>
      encodeLeaf({ ...leafOf(USER, k, 'reset'), time: `2026-12-0${i + 1}T00:00:00.000Z` }),
    );
    const log = sm2GenerateKeyPair(random);
    const headOf = (leaves: Uint8Array[]) =>
      signTreeHead(log, { size: leaves.length, root: mth(leaves), time: new Date() }, random);
    const small = headOf(bytes.slice(0, 3));
    const big = headOf(bytes);
    const consistency = proof(3, bytes).map(base64urlEncode);
    assert.equal(checkHeadConsistency(small, big, consistency), true);
    assert.equal(checkHeadConsistency(big, small, consistency), true);
    assert.equal(checkHeadConsistency(big, big, []), true);
    const rewritten = [...bytes];
    rewritten[1] = encodeLeaf(leafOf(USER, generateIdentity(USER), 'register'));
    const forked = headOf(rewritten);
    assert.equal(checkHeadConsistency(small, forked, proof(3, rewritten).map(base64urlEncode)), false);
    assert.equal(checkHeadConsistency(big, forked, []), false, 'same size, other root');
  });

  it("the newest own event: a held key, or signed changes from one; anything else is someone else's", () => {
    const k1 = generateIdentity(USER);
    const k2 = generateIdentity(USER);
    const k3 = generateIdentity(USER);
    const mallory = generateIdentity(USER);
    const s12 = signKeyChange({ old: k1, newPublicKey: k2.publicKey });
    const s23 = signKeyChange({ old: k2, newPublicKey: k3.publicKey });
    const events = (...leaves: LogLeaf[]) => leaves.map((leaf, index) => ({ index, leaf }));
    const held = (...keys: Identity[]) => new Set(keys.map((k) => keyId(k.publicKey)));
    const chain = events(
      leafOf(USER, k1, 'register'),
      leafOf(USER, k2, 'signed-change', s12),
      leafOf(USER, k3, 'signed-change', s23),
    );
    assert.equal(unexplainedOwnKey(USER, chain, held(k3)), null, 'the key this phone holds');
    assert.equal(unexplainedOwnKey(USER, chain, held(k1)), null, 'signed changes from a key it held');
    assert.equal(unexplainedOwnKey(USER, [], held(k1)), null);
    const reset = events(leafOf(USER, k1, 'register'), leafOf(USER, mallory, 'reset'));
    assert.equal(unexplainedOwnKey(USER, reset, held(k1))?.leaf.keyId, keyId(mallory.publicKey));
    // A statement signed by k1 does not vouch for a key that follows k2.
    const skipped = events(leafOf(USER, k1, 'register'), leafOf(USER, k3, 'signed-change', s23));
    assert.equal(unexplainedOwnKey(USER, skipped, held(k1))?.index, 1);
    // An event of another user in the list is not the user's doing.
    const foreign = events(leafOf(USER, k1, 'register'), leafOf(OTHER, generateIdentity(OTHER), 'register'));
    assert.equal(unexplainedOwnKey(USER, foreign, held(k1))?.index, 1);
  });
});
