// Key-change statements (docs/protocol.md §10): sign/parse/verify, the published vectors checked
// by our code, by sm-crypto (the reference oracle) and by the openssl CLI, and a statement signed
// by sm-crypto verified by ours.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { VECTORS_PATH, vectorIdentity, vectorNextIdentity } from '../../../scripts/make-vectors';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import {
  canonicalize,
  generateIdentity,
  type KeyChange,
  keyChangeSignedBytes,
  keyId,
  parseKeyChange,
  signKeyChange,
  verifyKeyChange,
} from '../../../shared/protocol';
import { nodeRandom } from '../crypto/_helpers';
import { opensslVerifies } from '../crypto/_openssl';

const smCrypto = createRequire(import.meta.url)('sm-crypto') as {
  sm2: {
    doVerifySignature(msg: number[], sigHex: string, publicKeyHex: string, options: object): boolean;
    doSignature(msg: number[], privateKeyHex: string, options: object): string;
  };
};
const SM_OPTIONS = { der: true, hash: true, userId: '1234567812345678' };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));
const alice = vectorIdentity('alice');
const aliceNext = vectorNextIdentity('alice');
const at = new Date('2026-11-25T08:30:00.000Z');

interface KeyChangeVector {
  name: string;
  statement: KeyChange;
  user: string;
  oldPublicKey: string;
  newPublicKey: string;
  intermediate?: { signedBytes: string };
  error?: string;
}

function expectation(vector: KeyChangeVector) {
  return {
    user: vector.user,
    oldPublicKey: base64urlDecode(vector.oldPublicKey),
    newPublicKey: base64urlDecode(vector.newPublicKey),
  };
}

describe('signKeyChange()', () => {
  it('signs a statement that verifies under the old key only', () => {
    const statement = signKeyChange(
      { old: alice, newPublicKey: aliceNext.publicKey },
      { now: at, random: nodeRandom },
    );
    assert.equal(statement.user, 'alice');
    assert.equal(statement.oldKey, keyId(alice.publicKey));
    assert.equal(statement.newKey, keyId(aliceNext.publicKey));
    assert.equal(statement.at, at.toISOString());
    const expected = { user: 'alice', oldPublicKey: alice.publicKey, newPublicKey: aliceNext.publicKey };
    assert.equal(verifyKeyChange(statement, expected), true);
    assert.equal(verifyKeyChange(statement, { ...expected, oldPublicKey: aliceNext.publicKey }), false);
    assert.equal(verifyKeyChange(statement, { ...expected, user: 'bob' }), false);
    const other = generateIdentity('alice', nodeRandom);
    assert.equal(verifyKeyChange(statement, { ...expected, newPublicKey: other.publicKey }), false);
  });

  it('signs over JCS of every member but sig', () => {
    const statement = signKeyChange(
      { old: alice, newPublicKey: aliceNext.publicKey },
      { now: at, random: nodeRandom },
    );
    const { sig: _sig, ...rest } = statement;
    assert.equal(new TextDecoder().decode(keyChangeSignedBytes(statement)), canonicalize(rest));
  });

  it('rejects invalid inputs', () => {
    assert.throws(
      () =>
        signKeyChange({ old: { ...alice, publicKey: aliceNext.publicKey }, newPublicKey: alice.publicKey }),
      (err) => isMifengError(err, 'Malformed'),
    );
    assert.throws(() =>
      signKeyChange({ old: { ...alice, user: 'not valid!' }, newPublicKey: alice.publicKey }),
    );
    assert.throws(() => signKeyChange({ old: alice, newPublicKey: new Uint8Array(64) }), RangeError);
    assert.throws(() =>
      signKeyChange({ old: alice, newPublicKey: aliceNext.publicKey }, { now: new Date(NaN) }),
    );
  });
});

describe('parseKeyChange()', () => {
  const statement = signKeyChange(
    { old: alice, newPublicKey: aliceNext.publicKey },
    { now: at, random: nodeRandom },
  );

  it('accepts a statement and returns it unchanged', () => {
    assert.deepEqual(parseKeyChange(JSON.parse(JSON.stringify(statement))), statement);
  });

  it('rejects invalid inputs', () => {
    const bad: [unknown, string][] = [
      [null, 'Malformed'],
      [[statement], 'Malformed'],
      [{ ...statement, v: 2 }, 'UnsupportedVersion'],
      [{ ...statement, extra: 1 }, 'Malformed'],
      [{ ...statement, at: '2026-11-25T08:30:00Z' }, 'Malformed'],
      [{ ...statement, sig: base64urlEncode(new Uint8Array(70)) }, 'Malformed'],
      [{ ...statement, newKey: keyId(alice.publicKey) }, 'Malformed'],
      [{ ...statement, type: 'other' }, 'Malformed'],
    ];
    for (const [value, error] of bad) {
      assert.throws(
        () => parseKeyChange(value),
        (err) => isMifengError(err, error as 'Malformed'),
      );
    }
  });
});

describe('verifyKeyChange()', () => {
  it('is false, not a throw, for a signature that is no signature', () => {
    const statement = signKeyChange(
      { old: alice, newPublicKey: aliceNext.publicKey },
      { now: at, random: nodeRandom },
    );
    const expected = { user: 'alice', oldPublicKey: alice.publicKey, newPublicKey: aliceNext.publicKey };
    assert.equal(verifyKeyChange({ ...statement, sig: 'AAAA' }, expected), false);
  });
});

describe('key-change vectors (tests/vectors/protocol-v1.json)', () => {
  it('publish the next identity the script derives', () => {
    assert.equal(vectors.nextIdentities.alice.publicKey, base64urlEncode(aliceNext.publicKey));
    assert.ok(vectors.keyChanges.length >= 2 && vectors.negativeKeyChanges.length >= 5);
  });

  for (const vector of vectors.keyChanges as KeyChangeVector[]) {
    it(`${vector.name} verifies with our code, sm-crypto and openssl`, () => {
      const statement = parseKeyChange(vector.statement);
      const expected = expectation(vector);
      assert.equal(verifyKeyChange(statement, expected), true);
      const message = keyChangeSignedBytes(statement);
      assert.equal(new TextDecoder().decode(message), vector.intermediate!.signedBytes);
      const sig = base64urlDecode(statement.sig);
      assert.equal(
        smCrypto.sm2.doVerifySignature(Array.from(message), hex(sig), hex(expected.oldPublicKey), SM_OPTIONS),
        true,
      );
      assert.equal(opensslVerifies(expected.oldPublicKey, message, sig), true);
    });
  }

  for (const vector of vectors.negativeKeyChanges as KeyChangeVector[]) {
    it(`${vector.name} is refused (${vector.error}), by sm-crypto and openssl too`, () => {
      const expected = expectation(vector);
      if (vector.error === 'invalid') {
        const statement = parseKeyChange(vector.statement);
        assert.equal(verifyKeyChange(statement, expected), false);
        const message = keyChangeSignedBytes(statement);
        const sig = base64urlDecode(statement.sig);
        const ok = smCrypto.sm2.doVerifySignature(
          Array.from(message),
          hex(sig),
          hex(expected.oldPublicKey),
          SM_OPTIONS,
        );
        assert.equal(ok, false);
        assert.equal(opensslVerifies(expected.oldPublicKey, message, sig), false);
      } else {
        assert.throws(
          () => parseKeyChange(vector.statement),
          (err) => isMifengError(err, vector.error as 'Malformed'),
        );
      }
    });
  }

  it('a statement signed by sm-crypto verifies with our code', () => {
    const unsigned = {
      v: 1 as const,
      type: 'mifeng-key-change' as const,
      user: 'alice',
      oldKey: keyId(alice.publicKey),
      newKey: keyId(aliceNext.publicKey),
      newPublicKey: base64urlEncode(aliceNext.publicKey),
      at: at.toISOString(),
    };
    const sigHex = smCrypto.sm2.doSignature(
      Array.from(keyChangeSignedBytes(unsigned)),
      hex(alice.privateKey),
      SM_OPTIONS,
    );
    const statement = parseKeyChange({ ...unsigned, sig: base64urlEncode(Buffer.from(sigHex, 'hex')) });
    assert.equal(
      verifyKeyChange(statement, {
        user: 'alice',
        oldPublicKey: alice.publicKey,
        newPublicKey: aliceNext.publicKey,
      }),
      true,
    );
  });
});
