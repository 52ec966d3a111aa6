import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setRandomSource, sm2PublicKey } from '../../../shared/crypto';
import { base64urlEncode } from '../../../shared/encoding';
import { type ErrorName, isMifengError } from '../../../shared/errors';
import {
  fingerprint,
  formatFingerprint,
  generateIdentity,
  type Identity,
  identityFromJson,
  identityToJson,
  keyId,
  publicIdentityFromJson,
  publicIdentityToJson,
} from '../../../shared/protocol';

const isError = (name: ErrorName) => (err: unknown) => isMifengError(err, name);
let alice: Identity;

before(() => {
  setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
  alice = generateIdentity('alice');
});
after(() => setRandomSource(null));

describe('generateIdentity()', () => {
  it('generates a matching SM2 key pair', () => {
    assert.equal(alice.user, 'alice');
    assert.equal(alice.privateKey.length, 32);
    assert.equal(alice.publicKey.length, 65);
    assert.deepEqual(sm2PublicKey(alice.privateKey), alice.publicKey);
    assert.notDeepEqual(generateIdentity('alice').privateKey, alice.privateKey);
  });

  it('uses the injected randomness', () => {
    const seven = (n: number) => new Uint8Array(n).fill(7);
    assert.deepEqual(generateIdentity('a', seven), generateIdentity('a', seven));
    assert.deepEqual(generateIdentity('a', seven).privateKey, new Uint8Array(32).fill(7));
  });

  it('rejects invalid inputs', () => {
    for (const user of ['', 'a b', 'ä', 'x'.repeat(65), 'a/b', 'a.b']) {
      assert.throws(() => generateIdentity(user), isError('Malformed'), user);
    }
    assert.throws(() => generateIdentity(7 as never), isError('Malformed'));
    assert.ok(generateIdentity('A-z_09'.padEnd(64, 'x')));
  });
});

describe('fingerprint() and keyId()', () => {
  it('are SM3 of the uncompressed point and its first 16 bytes', () => {
    const digest = createHash('sm3').update(alice.publicKey).digest();
    assert.deepEqual(fingerprint(alice.publicKey), new Uint8Array(digest));
    assert.equal(keyId(alice.publicKey), digest.subarray(0, 16).toString('base64url'));
    assert.equal(keyId(alice.publicKey).length, 22);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => fingerprint('04ab' as never), TypeError);
    assert.throws(() => fingerprint(alice.publicKey.subarray(1)), RangeError);
    const compressed = new Uint8Array(alice.publicKey);
    compressed[0] = 0x02;
    assert.throws(() => keyId(compressed), RangeError);
  });
});

describe('formatFingerprint()', () => {
  it('writes the fingerprint mod 10^60 as 12 groups of 5 digits', () => {
    const text = formatFingerprint(alice.publicKey);
    assert.match(text, /^\d{5}( \d{5}){11}$/);
    const n = BigInt(`0x${createHash('sm3').update(alice.publicKey).digest('hex')}`) % 10n ** 60n;
    assert.equal(text.replace(/ /g, ''), n.toString().padStart(60, '0'));
  });

  it('matches a known answer (the vector identity alice)', () => {
    // Public key of the private key SM3("mifeng/protocol-v1/test-key/alice"), tests/vectors/protocol-v1.json.
    const publicKey = Buffer.from(
      '04bc370c902c16f6af725d771bd9027755bcf06ae4051732b73474a19278ec2658e160ef53943bd6714cf3d8eadf6d7ba8ad8a0e6224ea065995af06a83756d35d',
      'hex',
    );
    assert.equal(
      formatFingerprint(new Uint8Array(publicKey)),
      '53778 50936 20655 23546 42206 34958 44639 39786 46318 59742 23478 29393',
    );
    assert.equal(keyId(new Uint8Array(publicKey)), 'm4A_zy12H5HV_OdnBpBTOw');
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => formatFingerprint(null as never), TypeError);
    assert.throws(() => formatFingerprint(new Uint8Array(65)), RangeError);
  });
});

describe('identityToJson() and identityFromJson()', () => {
  it('round-trip through base64url', () => {
    const json = identityToJson(alice);
    assert.deepEqual(json, {
      user: 'alice',
      privateKey: base64urlEncode(alice.privateKey),
      publicKey: base64urlEncode(alice.publicKey),
    });
    assert.deepEqual(identityFromJson(JSON.parse(JSON.stringify(json))), alice);
  });

  it('rejects invalid inputs', () => {
    const json = identityToJson(alice);
    const other = identityToJson(generateIdentity('bob'));
    for (const bad of [
      null,
      { ...json, extra: 1 },
      { ...json, user: '' },
      { ...json, privateKey: json.privateKey.slice(1) },
      { ...json, publicKey: other.publicKey },
      { ...json, privateKey: base64urlEncode(new Uint8Array(32)) },
      { ...json, privateKey: base64urlEncode(new Uint8Array(32).fill(0xff)) },
      { user: 'alice', publicKey: json.publicKey },
    ]) {
      assert.throws(() => identityFromJson(bad), isError('Malformed'), JSON.stringify(bad));
    }
  });
});

describe('publicIdentityToJson() and publicIdentityFromJson()', () => {
  it('round-trip through base64url', () => {
    const json = publicIdentityToJson(alice);
    assert.deepEqual(json, { user: 'alice', publicKey: base64urlEncode(alice.publicKey) });
    assert.deepEqual(publicIdentityFromJson(json), { user: 'alice', publicKey: alice.publicKey });
  });

  it('rejects invalid inputs', () => {
    const json = publicIdentityToJson(alice);
    const offCurve = new Uint8Array(alice.publicKey);
    offCurve[64]! ^= 1;
    for (const bad of [
      undefined,
      { ...json, privateKey: 'x' },
      { ...json, publicKey: base64urlEncode(offCurve) },
      { ...json, publicKey: base64urlEncode(alice.publicKey.subarray(1)) },
      { user: 'alice' },
    ]) {
      assert.throws(() => publicIdentityFromJson(bad), isError('Malformed'), JSON.stringify(bad));
    }
  });
});
