import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pbkdf2HmacSm3, setRandomSource, sm4GcmEncrypt } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode, utf8Encode } from '../../../shared/encoding';
import { type ErrorName, isMifengError } from '../../../shared/errors';
import {
  generateIdentity,
  type Identity,
  type KeyBackup,
  keyId,
  MAX_BACKUP_ITERATIONS,
  MIN_BACKUP_ITERATIONS,
  parseKeyBackup,
  sealKeyBackup,
  unlockKeyBackup,
} from '../../../shared/protocol';

const nodeRandom = (n: number) => webcrypto.getRandomValues(new Uint8Array(n));
const isError = (name: ErrorName) => (err: unknown) => isMifengError(err, name);
/** The lowest allowed count keeps these tests quick; the default is tested once. */
const ITER = MIN_BACKUP_ITERATIONS;
const MASTER = 'correct horse battery staple';

let alice: Identity;
let bob: Identity;
let backup: KeyBackup;

before(() => {
  setRandomSource(nodeRandom);
  alice = generateIdentity('alice');
  bob = generateIdentity('bob');
  backup = sealKeyBackup(alice, MASTER, { iterations: ITER });
});
after(() => setRandomSource(null));

function flip(text: string, index: number): string {
  const bytes = base64urlDecode(text);
  bytes[index]! ^= 0x01;
  return base64urlEncode(bytes);
}

describe('sealKeyBackup()', () => {
  it('seals the private key so that the master key opens it', () => {
    assert.deepEqual(Object.keys(backup), ['v', 'kdf', 'iter', 'salt', 'iv', 'ct']);
    assert.equal(backup.v, 1);
    assert.equal(backup.kdf, 'pbkdf2-hmac-sm3');
    assert.equal(backup.iter, ITER);
    assert.equal(base64urlDecode(backup.ct).length, 48);
    assert.deepEqual(
      unlockKeyBackup(JSON.parse(JSON.stringify(backup)), alice.publicKey, MASTER),
      alice.privateKey,
    );
  });

  it('uses 100 000 iterations by default', () => {
    const slow = sealKeyBackup(alice, MASTER);
    assert.equal(slow.iter, 100_000);
    assert.deepEqual(unlockKeyBackup(slow, alice.publicKey, MASTER), alice.privateKey);
  });

  it('draws a fresh salt and iv each time, from the injected source', () => {
    const other = sealKeyBackup(alice, MASTER, { iterations: ITER });
    assert.notEqual(other.salt, backup.salt);
    assert.notEqual(other.iv, backup.iv);
    const fixed = (n: number) => new Uint8Array(n).fill(9);
    const a = sealKeyBackup(alice, MASTER, { iterations: ITER, random: fixed });
    assert.equal(a.salt, base64urlEncode(new Uint8Array(16).fill(9)));
    assert.deepEqual(a, sealKeyBackup(alice, MASTER, { iterations: ITER, random: fixed }));
  });

  it('normalizes the master key to NFC', () => {
    const composed = sealKeyBackup(alice, 'Pass\u00e9', { iterations: ITER });
    assert.deepEqual(unlockKeyBackup(composed, alice.publicKey, 'Passe\u0301'), alice.privateKey);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sealKeyBackup(alice, '', { iterations: ITER }), RangeError);
    assert.throws(() => sealKeyBackup(alice, 42 as never, { iterations: ITER }), TypeError);
    assert.throws(() => sealKeyBackup(alice, '\ud800', { iterations: ITER }), isError('Malformed'));
    assert.throws(() => sealKeyBackup(alice, MASTER, { iterations: ITER - 1 }), RangeError);
    assert.throws(() => sealKeyBackup(alice, MASTER, { iterations: MAX_BACKUP_ITERATIONS + 1 }), RangeError);
    assert.throws(() => sealKeyBackup(alice, MASTER, { iterations: 1.5e4 + 0.5 }), TypeError);
    assert.throws(() => sealKeyBackup(null as never, MASTER), TypeError);
    assert.throws(() => sealKeyBackup({ ...alice, privateKey: new Uint8Array(31) }, MASTER), TypeError);
    assert.throws(() => sealKeyBackup({ ...alice, publicKey: new Uint8Array(64) }, MASTER), RangeError);
    assert.throws(
      () => sealKeyBackup({ ...alice, publicKey: bob.publicKey }, MASTER, { iterations: ITER }),
      isError('Malformed'),
    );
    setRandomSource(null);
    try {
      assert.throws(() => sealKeyBackup(alice, MASTER, { iterations: ITER }), isError('RandomNotReady'));
    } finally {
      setRandomSource(nodeRandom);
    }
  });
});

describe('unlockKeyBackup()', () => {
  it('says WrongMasterKey for a wrong master key or another public key', () => {
    assert.throws(() => unlockKeyBackup(backup, alice.publicKey, `${MASTER}!`), isError('WrongMasterKey'));
    assert.throws(
      () => unlockKeyBackup(backup, alice.publicKey, MASTER.toUpperCase()),
      isError('WrongMasterKey'),
    );
    assert.throws(() => unlockKeyBackup(backup, bob.publicKey, MASTER), isError('WrongMasterKey'));
  });

  it('fails with a typed error when any byte of any field is flipped', () => {
    for (const field of ['salt', 'iv', 'ct'] as const) {
      const length = base64urlDecode(backup[field]).length;
      for (let i = 0; i < length; i++) {
        assert.throws(
          () => unlockKeyBackup({ ...backup, [field]: flip(backup[field], i) }, alice.publicKey, MASTER),
          isError('WrongMasterKey'),
          `${field}[${i}]`,
        );
      }
    }
    assert.throws(
      () => unlockKeyBackup({ ...backup, iter: ITER + 1 }, alice.publicKey, MASTER),
      isError('WrongMasterKey'),
    );
  });

  it('reports Malformed or UnsupportedVersion for structural changes', () => {
    const cases: [unknown, ErrorName][] = [
      [null, 'Malformed'],
      [[backup], 'Malformed'],
      [JSON.stringify(backup).slice(1), 'Malformed'],
      // Text with `iter` given twice: JSON.parse would keep the last one.
      [JSON.stringify(backup).replace('{', '{"iter":1000000,'), 'Malformed'],
      [`{"v":2,${JSON.stringify(backup).slice(1)}`, 'Malformed'],
      [{ ...backup, extra: true }, 'Malformed'],
      [{ ...backup, v: '1' }, 'Malformed'],
      [{ ...backup, v: 2 }, 'UnsupportedVersion'],
      [{ ...backup, kdf: 'scrypt' }, 'UnsupportedVersion'],
      [{ ...backup, kdf: 1 }, 'Malformed'],
      [{ ...backup, iter: MIN_BACKUP_ITERATIONS - 1 }, 'Malformed'],
      [{ ...backup, iter: MAX_BACKUP_ITERATIONS + 1 }, 'Malformed'],
      [{ ...backup, iter: 1e4 + 0.5 }, 'Malformed'],
      [{ ...backup, iter: String(ITER) }, 'Malformed'],
      [{ ...backup, salt: backup.salt.slice(1) }, 'Malformed'],
      [{ ...backup, iv: `${backup.iv}==` }, 'Malformed'],
      [{ ...backup, ct: backup.ct.slice(0, -2) }, 'Malformed'],
    ];
    for (const member of Object.keys(backup)) {
      const { [member]: _removed, ...rest } = backup as Record<string, unknown>;
      cases.push([rest, 'Malformed']);
    }
    for (const [value, name] of cases) {
      assert.throws(
        () => unlockKeyBackup(value, alice.publicKey, MASTER),
        isError(name),
        JSON.stringify(value),
      );
    }
  });

  it('reports Malformed when the sealed key is not the one the public key names', () => {
    // Built by hand: the AAD names alice's key but the ciphertext holds bob's private key.
    const salt = new Uint8Array(16).fill(1);
    const iv = new Uint8Array(12).fill(2);
    const key = pbkdf2HmacSm3(utf8Encode(MASTER), salt, ITER, 16);
    const ct = sm4GcmEncrypt(key, iv, bob.privateKey, utf8Encode(keyId(alice.publicKey)));
    const mixed = {
      ...backup,
      salt: base64urlEncode(salt),
      iv: base64urlEncode(iv),
      ct: base64urlEncode(ct),
    };
    assert.throws(() => unlockKeyBackup(mixed, alice.publicKey, MASTER), isError('Malformed'));
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => unlockKeyBackup(backup, 'key' as never, MASTER), TypeError);
    assert.throws(() => unlockKeyBackup(backup, new Uint8Array(33), MASTER), RangeError);
    assert.throws(() => unlockKeyBackup(backup, alice.publicKey, undefined as never), TypeError);
    assert.throws(() => unlockKeyBackup(backup, alice.publicKey, ''), RangeError);
  });
});

describe('parseKeyBackup()', () => {
  it('accepts a sealed backup', () => {
    assert.deepEqual(parseKeyBackup(JSON.parse(JSON.stringify(backup))), backup);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => parseKeyBackup(undefined), isError('Malformed'));
    assert.throws(() => parseKeyBackup({ v: 9 }), isError('UnsupportedVersion'));
    assert.throws(() => parseKeyBackup({ v: 1 }), isError('Malformed'));
  });
});
