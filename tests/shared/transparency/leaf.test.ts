// Log leaves: canonical encoding, strict parsing, and the rules tying keyId, kind and statement.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { vectorIdentity } from '../../../scripts/make-vectors';
import { base64urlEncode, utf8Encode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import { keyId } from '../../../shared/protocol';
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

  it('carries the statement of a change whole', () => {
    const statement = { user: 'alice', sig: 'AA', nested: { b: 1, a: [true, null] } };
    const bytes = encodeLeaf(leaf({ kind: 'change', statement }));
    assert.deepEqual(decodeLeaf(bytes).statement, statement);
    assert.match(new TextDecoder().decode(bytes), /"statement":\{"nested":\{"a":\[true,null\],"b":1\}/);
  });

  it('rejects invalid inputs', () => {
    malformed(() => encodeLeaf(leaf({ keyId: keyId(bob.publicKey) })));
    malformed(() => encodeLeaf(leaf({ kind: 'change' })));
    malformed(() => encodeLeaf(leaf({ kind: 'reset', statement: {} })));
    malformed(() => encodeLeaf(leaf({ kind: 'rotate' as never })));
    malformed(() => encodeLeaf(leaf({ time: '2026-12-01T00:00:00Z' })));
    malformed(() => encodeLeaf(leaf({ userId: 'not valid' })));
    malformed(() => encodeLeaf({ ...leaf(), extra: 1 } as never));
    malformed(() => encodeLeaf(leaf({ kind: 'change', statement: [] as never })));
    malformed(() => encodeLeaf(leaf({ kind: 'change', statement: { n: Number.NaN } })));
    assert.throws(
      () => encodeLeaf(leaf({ kind: 'change', statement: { pad: 'x'.repeat(MAX_LEAF_BYTES) } })),
      (err) => isMifengError(err, 'TooLarge'),
    );
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
  });
});
