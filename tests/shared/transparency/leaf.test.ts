// Log leaves: canonical encoding, strict parsing, and the rules tying keyId, kind and statement.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vectorIdentity, vectorRandom } from '../../../scripts/make-vectors';
import { base64urlEncode, utf8Encode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import { keyId, signKeyChange } from '../../../shared/protocol';
import { decodeLeaf, encodeLeaf, type LogLeaf, MAX_LEAF_BYTES } from '../../../shared/transparency';

const alice = vectorIdentity('alice');
const bob = vectorIdentity('bob');

function leaf(overrides: Partial<LogLeaf> = {}): LogLeaf {
  return {
    userId: 'alice',
    publicKey: base64urlEncode(alice.publicKey),
    keyId: keyId(alice.publicKey),
    kind: 'register',
    time: '2026-12-01T00:00:00.000Z',
    ...overrides,
  };
}

const malformed = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'Malformed'));

describe('encodeLeaf()', () => {
  it('writes the JCS form: members sorted, no whitespace', () => {
    const text = new TextDecoder().decode(encodeLeaf(leaf()));
    assert.equal(
      text,
      `{"keyId":"${keyId(alice.publicKey)}","kind":"register","publicKey":"${base64urlEncode(alice.publicKey)}","time":"2026-12-01T00:00:00.000Z","userId":"alice"}`,
    );
  });

  it('carries the key-change statement of a signed change whole', () => {
    const next = vectorIdentity('alice/1');
    const statement = signKeyChange(
      { old: alice, newPublicKey: next.publicKey },
      { now: new Date('2026-12-01T00:00:00.000Z'), random: vectorRandom('leaf-test') },
    );
    const changed = leaf({
      kind: 'signed-change',
      publicKey: base64urlEncode(next.publicKey),
      keyId: keyId(next.publicKey),
      statement,
    });
    const bytes = encodeLeaf(changed);
    assert.deepEqual(decodeLeaf(bytes), changed);
    assert.match(new TextDecoder().decode(bytes), /,"statement":\{"at":/);

    malformed(() => encodeLeaf({ ...changed, userId: 'bob' }));
    malformed(() =>
      encodeLeaf({ ...changed, publicKey: base64urlEncode(alice.publicKey), keyId: keyId(alice.publicKey) }),
    );
    malformed(() => encodeLeaf({ ...changed, kind: 'reset' }));
    malformed(() => encodeLeaf({ ...changed, statement: { ...statement, extra: 1 } as never }));
  });

  it('rejects invalid inputs', () => {
    malformed(() => encodeLeaf(leaf({ keyId: keyId(bob.publicKey) })));
    malformed(() => encodeLeaf(leaf({ kind: 'signed-change' })));
    malformed(() => encodeLeaf(leaf({ kind: 'change' as never })));
    malformed(() => encodeLeaf(leaf({ time: '2026-12-01T00:00:00Z' })));
    malformed(() => encodeLeaf(leaf({ userId: 'not valid' })));
    malformed(() => encodeLeaf({ ...leaf(), extra: 1 } as never));
    malformed(() => encodeLeaf(leaf({ kind: 'signed-change', statement: [] as never })));
  });
});

describe('decodeLeaf()', () => {
  it('round-trips', () => {
    assert.deepEqual(decodeLeaf(encodeLeaf(leaf())), leaf());
  });

  it('accepts only the one canonical encoding', () => {
    const canonical = new TextDecoder().decode(encodeLeaf(leaf()));
    const spaced = canonical.replace(/,/g, ', ');
    malformed(() => decodeLeaf(utf8Encode(spaced)));
    const { userId, ...rest } = leaf();
    const reordered = JSON.stringify({ userId, ...rest });
    malformed(() => decodeLeaf(utf8Encode(reordered)));
    // A member given twice: JSON.parse keeps the last; the leaf's one encoding does not.
    const twice = canonical.replace('{', '{"kind":"reset",');
    malformed(() => decodeLeaf(utf8Encode(twice)));
    malformed(() => decodeLeaf(utf8Encode('not json')));
    malformed(() => decodeLeaf(Uint8Array.of(0xff)));
    assert.throws(
      () => decodeLeaf(new Uint8Array(MAX_LEAF_BYTES + 1)),
      (err) => isMifengError(err, 'TooLarge'),
    );
  });
});
