// SM2 on the recommended curve. Known answers: the signature and encryption examples of
// GB/T 32918.5-2017 / GM/T 0003.5-2012 (private key 3945208F…, k = 59276E27…, ID 1234567812345678,
// messages "message digest" and "encryption standard"); each is also re-derived below from
// independent code (sm-crypto's curve arithmetic with OpenSSL's SM3) so the numbers are not taken on
// trust. Plus a third-party decryption known answer and the pitfalls of the choices in
// docs/protocol.md §1 (C1 ‖ C3 ‖ C2 order, the distinguishing ID).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { invert } from '@noble/curves/abstract/modular';
import { weierstrassN } from '@noble/curves/abstract/weierstrass';
import smCrypto from 'sm-crypto';
import { sm2 as v2 } from 'sm-crypto-v2';
import { _invert, _isOnCurve, P } from '../../../shared/crypto/_sm2-curve';
import {
  type _Jacobian,
  _sm2Add,
  _sm2AddAffine,
  _sm2Affine,
  _sm2Comb,
  _sm2Multiply,
  _sm2MultiplyBase,
  _sm2MultiplyComb,
  _sm2MultiplyKey,
  _sm2MultiplyRows,
  _sm2PrepareKey,
  _sm2Rows,
} from '../../../shared/crypto/_sm2-mul';
import {
  SM2_USER_ID,
  sm2Decrypt,
  sm2Encrypt,
  sm2EncryptToSelf,
  sm2GenerateKeyPair,
  sm2IsValidPublicKey,
  sm2PrepareKey,
  sm2PublicKey,
  sm2Sign,
  sm2Verifier,
  sm2Verify,
} from '../../../shared/crypto/index';
import { isMifengError } from '../../../shared/errors';
import { fixedRandom, flip, hex, nodeRandom, unhex, utf8 } from './_helpers';

const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

// GB/T 32918.5-2017 / GM/T 0003.5-2012 examples on the recommended curve.
const EXAMPLE = {
  privateKey: unhex('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8'),
  publicKey: unhex(
    '04' +
      '09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020' +
      'CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13',
  ),
  k: unhex('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21'),
  signMessage: utf8('message digest'),
  r: 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3',
  s: 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa',
  encryptMessage: utf8('encryption standard'),
  // C1 ‖ C3 ‖ C2; C1 = 04 ‖ x1 ‖ y1, and x1 itself happens to start with 04.
  c1: '0404ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0',
  c3: '59983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766',
  c2: '21886ca989ca9c7d58087307ca93092d651efa',
};

const tampered = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'Tampered'));

/** DER SEQUENCE { INTEGER r, INTEGER s } for 32-byte r and s with the top bit set. */
const derOf = (r: string, s: string) => `3046022100${r}022100${s}`;

describe('sm2PublicKey()', () => {
  it('derives the example public key (GB/T 32918.5-2017)', () => {
    assert.deepEqual(sm2PublicKey(EXAMPLE.privateKey), EXAMPLE.publicKey);
  });

  it('agrees with sm-crypto and sm-crypto-v2', () => {
    for (let i = 0; i < 5; i++) {
      const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
      assert.equal(hex(publicKey), smCrypto.sm2.getPublicKeyFromPrivateKey(hex(privateKey)));
      assert.equal(hex(publicKey), v2.getPublicKeyFromPrivateKey(hex(privateKey)));
    }
  });

  it('answers for the key the array holds now, and hands out copies', () => {
    const a = sm2GenerateKeyPair(nodeRandom);
    const b = sm2GenerateKeyPair(nodeRandom);
    const key = Uint8Array.from(a.privateKey);
    const first = sm2PublicKey(key);
    assert.deepEqual(first, a.publicKey);
    first.fill(0);
    assert.deepEqual(sm2PublicKey(key), a.publicKey, 'a caller writing into the result changes nothing');
    key.set(b.privateKey);
    assert.deepEqual(sm2PublicKey(key), b.publicKey);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2PublicKey(new Uint8Array(31)), RangeError);
    assert.throws(() => sm2PublicKey(new Uint8Array(32)), RangeError); // d = 0
    const nMinus1 = unhex((N - 1n).toString(16)); // GB/T 32918.1 §6.1: d ≤ n-2
    assert.throws(() => sm2PublicKey(nMinus1), RangeError);
    assert.throws(() => sm2PublicKey(unhex(N.toString(16))), RangeError);
    assert.throws(() => sm2PublicKey('00' as unknown as Uint8Array), TypeError);
  });
});

describe('sm2GenerateKeyPair()', () => {
  it('uses only the given random source and is deterministic for a fixed one', () => {
    const a = sm2GenerateKeyPair(fixedRandom(EXAMPLE.privateKey));
    assert.deepEqual(a.privateKey, EXAMPLE.privateKey);
    assert.deepEqual(a.publicKey, EXAMPLE.publicKey);
  });

  it('redraws out-of-range scalars (0 and ≥ n-1) instead of reducing them', () => {
    const pair = sm2GenerateKeyPair(
      fixedRandom(new Uint8Array(32), unhex((N - 1n).toString(16)), EXAMPLE.privateKey),
    );
    assert.deepEqual(pair.privateKey, EXAMPLE.privateKey);
  });

  it('gives valid, distinct key pairs', () => {
    const a = sm2GenerateKeyPair(nodeRandom);
    const b = sm2GenerateKeyPair(nodeRandom);
    assert.equal(a.privateKey.length, 32);
    assert.equal(a.publicKey.length, 65);
    assert.ok(sm2IsValidPublicKey(a.publicKey));
    assert.notDeepEqual(a.privateKey, b.privateKey);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2GenerateKeyPair('random' as never), TypeError);
    assert.throws(
      () => sm2GenerateKeyPair(() => new Uint8Array(32)),
      (err) => isMifengError(err, 'RandomNotReady'),
    );
    assert.throws(() => sm2GenerateKeyPair(() => new Uint8Array(16)), TypeError);
  });
});

describe('sm2IsValidPublicKey()', () => {
  it('accepts points on the curve', () => {
    assert.equal(sm2IsValidPublicKey(EXAMPLE.publicKey), true);
  });

  it('rejects invalid inputs', () => {
    assert.equal(sm2IsValidPublicKey(EXAMPLE.publicKey.subarray(1)), false); // no 04
    assert.equal(sm2IsValidPublicKey(flip(EXAMPLE.publicKey, 64)), false); // off the curve
    assert.equal(sm2IsValidPublicKey(flip(EXAMPLE.publicKey, 0, 0x06)), false); // 02 prefix
    assert.equal(sm2IsValidPublicKey(new Uint8Array(65)), false);
    const infinity = new Uint8Array(65);
    infinity[0] = 4;
    assert.equal(sm2IsValidPublicKey(infinity), false);
    assert.equal(sm2IsValidPublicKey(hex(EXAMPLE.publicKey) as unknown as Uint8Array), false);
    assert.equal(sm2IsValidPublicKey(undefined as unknown as Uint8Array), false);
  });
});

describe('sm2Sign()', () => {
  it('produces the example signature (GB/T 32918.5-2017) for the fixed k', () => {
    const sig = sm2Sign(EXAMPLE.privateKey, EXAMPLE.signMessage, fixedRandom(EXAMPLE.k));
    assert.equal(hex(sig), derOf(EXAMPLE.r, EXAMPLE.s));
  });

  it('matches an independent derivation by sm-crypto with the same k', () => {
    // sm-crypto takes the nonce as {k, x1} with x1 = x(kG), computed here by its own curve code.
    // sm-crypto's nonces are jsbn BigIntegers; take the class from one of its own points.
    const BigInteger = smCrypto.sm2.getPoint().k.constructor;
    for (let i = 0; i < 5; i++) {
      const { privateKey } = sm2GenerateKeyPair(nodeRandom);
      const k = sm2GenerateKeyPair(nodeRandom).privateKey;
      const message = nodeRandom(1 + i * 40);
      const x1 = smCrypto.sm2.getPublicKeyFromPrivateKey(hex(k)).slice(2, 66);
      const theirs = smCrypto.sm2.doSignature(Array.from(message), hex(privateKey), {
        pointPool: [{ k: new BigInteger(hex(k), 16), x1: new BigInteger(x1, 16) }],
        der: true,
        hash: true,
        userId: SM2_USER_ID,
      });
      assert.equal(hex(sm2Sign(privateKey, message, fixedRandom(k))), theirs);
    }
  });

  it('draws k only from the given source (or the installed one) and redraws k = 0', () => {
    const sig = sm2Sign(EXAMPLE.privateKey, EXAMPLE.signMessage, fixedRandom(new Uint8Array(32), EXAMPLE.k));
    assert.equal(hex(sig), derOf(EXAMPLE.r, EXAMPLE.s));
  });

  it('never signs with a stale public key when the caller reuses the private-key array', () => {
    const a = sm2GenerateKeyPair(nodeRandom);
    const b = sm2GenerateKeyPair(nodeRandom);
    const key = Uint8Array.from(a.privateKey);
    const message = utf8('same array, new key');
    assert.ok(sm2Verify(a.publicKey, message, sm2Sign(key, message, nodeRandom)));
    key.set(b.privateKey);
    assert.ok(sm2Verify(b.publicKey, message, sm2Sign(key, message, nodeRandom)));
  });

  it('signs the empty message', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    assert.ok(sm2Verify(publicKey, new Uint8Array(0), sm2Sign(privateKey, new Uint8Array(0), nodeRandom)));
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2Sign(new Uint8Array(32), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2Sign(EXAMPLE.privateKey.subarray(1), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2Sign(EXAMPLE.privateKey, 'm' as unknown as Uint8Array, nodeRandom), TypeError);
    assert.throws(
      () => sm2Sign(EXAMPLE.privateKey, utf8('m'), () => new Uint8Array(32)),
      (err) => isMifengError(err, 'RandomNotReady'),
    );
  });
});

describe('sm2Verify()', () => {
  const sig = unhex(derOf(EXAMPLE.r, EXAMPLE.s));

  it('accepts the example signature (GB/T 32918.5-2017)', () => {
    assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, sig), true);
  });

  it('pitfall: sm-crypto-v2 without {hash: true} skips Z_A and does not interoperate; with it, it does', () => {
    const pub = hex(EXAMPLE.publicKey);
    assert.equal(v2.doVerifySignature(EXAMPLE.signMessage, hex(sig), pub, { der: true }), false);
    assert.equal(
      v2.doVerifySignature(EXAMPLE.signMessage, hex(sig), pub, {
        der: true,
        hash: true,
        userId: SM2_USER_ID,
      }),
      true,
    );
    // And a signature made the wrong way (no Z_A) is refused by us.
    const noZa = v2.doSignature(EXAMPLE.signMessage, hex(EXAMPLE.privateKey), { der: true });
    assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, unhex(noZa)), false);
  });

  it('pitfall: malformed input makes sm-crypto-v2 throw; we return false', () => {
    const garbage = unhex('30ff');
    assert.throws(() =>
      v2.doVerifySignature(EXAMPLE.signMessage, hex(garbage), 'zz', { der: true, hash: true }),
    );
    assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, garbage), false);
  });

  it('is false for any flipped byte of signature, message or key, and for a different ID', () => {
    for (let i = 0; i < sig.length; i++) {
      assert.equal(
        sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, flip(sig, i)),
        false,
        `signature byte ${i}`,
      );
    }
    for (let i = 0; i < EXAMPLE.signMessage.length; i++) {
      assert.equal(
        sm2Verify(EXAMPLE.publicKey, flip(EXAMPLE.signMessage, i), sig),
        false,
        `message byte ${i}`,
      );
    }
    for (let i = 0; i < 65; i++) {
      assert.equal(sm2Verify(flip(EXAMPLE.publicKey, i), EXAMPLE.signMessage, sig), false, `key byte ${i}`);
    }
    const otherId = v2.doSignature(EXAMPLE.signMessage, hex(EXAMPLE.privateKey), {
      der: true,
      hash: true,
      userId: 'ALICE123@YAHOO.COM',
    });
    assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, unhex(otherId)), false);
  });

  it('refuses non-canonical DER, out-of-range r and s, and trailing bytes', () => {
    const r = EXAMPLE.r;
    const s = EXAMPLE.s;
    const cases = [
      `3047022200${r}022100${s}`.replace(/^304702220000/, '30470222000000'), // padded r
      `${derOf(r, s)}00`, // trailing byte
      `3046022100${r}022100${s}`.replace(/^3046/, '3045'), // wrong outer length
      `3081460221 00${r}022100${s}`.replace(/\s/g, ''), // long-form length
      `3026022100${r}0201 00`.replace(/\s/g, ''), // s = 0
      `302602010002 2100${s}`.replace(/\s/g, ''), // r = 0
      `3046022100${N.toString(16)}022100${s}`, // r = n
      `3046022100${r}022100${N.toString(16)}`, // s = n
      '',
      '3000',
    ];
    for (const c of cases)
      assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, unhex(c)), false, c);
  });

  it('rejects invalid inputs', () => {
    assert.equal(sm2Verify(null as unknown as Uint8Array, EXAMPLE.signMessage, sig), false);
    assert.equal(sm2Verify(EXAMPLE.publicKey, 'message digest' as unknown as Uint8Array, sig), false);
    assert.equal(sm2Verify(EXAMPLE.publicKey, EXAMPLE.signMessage, hex(sig) as unknown as Uint8Array), false);
    assert.equal(sm2Verify(EXAMPLE.publicKey.subarray(1), EXAMPLE.signMessage, sig), false);
    assert.equal(sm2Verify(new Uint8Array(65), EXAMPLE.signMessage, sig), false);
  });
});

describe('sm2Verifier()', () => {
  it('verifies like sm2Verify with a cached key', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    const verify = sm2Verifier(publicKey);
    for (let i = 0; i < 5; i++) {
      const message = nodeRandom(i * 30);
      const sig = sm2Sign(privateKey, message, nodeRandom);
      assert.equal(verify(message, sig), true);
      assert.equal(verify(flip(message.length ? message : new Uint8Array(1), 0), sig), false);
      assert.equal(verify(message, flip(sig, sig.length - 1)), false);
    }
    assert.equal(
      sm2Verifier(EXAMPLE.publicKey)(EXAMPLE.signMessage, unhex(derOf(EXAMPLE.r, EXAMPLE.s))),
      true,
    );
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2Verifier(flip(EXAMPLE.publicKey, 64)), RangeError);
    assert.throws(() => sm2Verifier(EXAMPLE.publicKey.subarray(1)), RangeError);
    assert.throws(() => sm2Verifier('04' as unknown as Uint8Array), TypeError);
    const verify = sm2Verifier(EXAMPLE.publicKey);
    assert.equal(verify(null as unknown as Uint8Array, new Uint8Array(70)), false);
    assert.equal(verify(EXAMPLE.signMessage, unhex('30ff')), false);
  });
});

describe('sm2Encrypt()', () => {
  const expected = EXAMPLE.c1 + EXAMPLE.c3 + EXAMPLE.c2;

  it('produces the example ciphertext (GB/T 32918.5-2017) as C1 ‖ C3 ‖ C2 with a 04-prefixed C1', () => {
    const ct = sm2Encrypt(EXAMPLE.publicKey, EXAMPLE.encryptMessage, fixedRandom(EXAMPLE.k));
    assert.equal(hex(ct), expected);
  });

  it('matches an independent derivation (sm-crypto curve arithmetic, OpenSSL SM3)', () => {
    // x2 ‖ y2 = k·P_B = (k·d_B mod n)·G; KDF and C3 from OpenSSL's SM3 (GB/T 32918.4-2016 §6.1).
    const d = BigInt(`0x${hex(EXAMPLE.privateKey)}`);
    const k = BigInt(`0x${hex(EXAMPLE.k)}`);
    const c1 = smCrypto.sm2.getPublicKeyFromPrivateKey(hex(EXAMPLE.k));
    const x2y2 = unhex(
      smCrypto.sm2.getPublicKeyFromPrivateKey(((k * d) % N).toString(16).padStart(64, '0')).slice(2),
    );
    const m = EXAMPLE.encryptMessage;
    const t = createHash('sm3')
      .update(x2y2)
      .update(Uint8Array.of(0, 0, 0, 1))
      .digest();
    const c2 = hex(m.map((b, i) => b ^ t[i]!));
    const c3 = createHash('sm3')
      .update(x2y2.subarray(0, 32))
      .update(m)
      .update(x2y2.subarray(32))
      .digest('hex');
    assert.equal(c1 + c3 + c2, expected);
  });

  it('gives the same ciphertext on the first, second and later uses of a key (its rows), and verifies alike', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    const k = nodeRandom(32);
    const message = utf8('the same letter, three times');
    const first = sm2Encrypt(publicKey, message, fixedRandom(k));
    for (let i = 0; i < 3; i++) assert.deepEqual(sm2Encrypt(publicKey, message, fixedRandom(k)), first);
    assert.deepEqual(sm2Decrypt(privateKey, first), message);
    const sig = sm2Sign(privateKey, message, nodeRandom);
    for (let i = 0; i < 3; i++) {
      assert.equal(sm2Verify(publicKey, message, sig), true);
      assert.equal(sm2Verify(publicKey, flip(message, 0), sig), false);
    }
  });

  it('gives the same ciphertext to a prepared key (sm2PrepareKey) as to its own private key', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    const k = nodeRandom(32);
    const message = utf8('prepared while the letter was written');
    assert.equal(sm2PrepareKey(publicKey), true, 'built now');
    assert.equal(sm2PrepareKey(publicKey), false, 'already prepared');
    const wrap = sm2Encrypt(publicKey, message, fixedRandom(k));
    assert.deepEqual(wrap, sm2EncryptToSelf(privateKey, message, fixedRandom(k)));
    assert.deepEqual(sm2Decrypt(privateKey, wrap), message);
    const sig = sm2Sign(privateKey, message, nodeRandom);
    assert.equal(sm2Verify(publicKey, message, sig), true);
  });

  it('sm2PrepareKey rejects what is no SM2 public key', () => {
    assert.throws(() => sm2PrepareKey(flip(EXAMPLE.publicKey, 64)), RangeError);
    assert.throws(() => sm2PrepareKey(EXAMPLE.publicKey.subarray(1)), RangeError);
    assert.throws(() => sm2PrepareKey('04' as unknown as Uint8Array), TypeError);
  });

  it('wraps a 16-byte key into 113 bytes (docs/protocol.md §4)', () => {
    assert.equal(sm2Encrypt(EXAMPLE.publicKey, new Uint8Array(16), nodeRandom).length, 113);
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2Encrypt(EXAMPLE.publicKey, new Uint8Array(0), nodeRandom), RangeError);
    assert.throws(() => sm2Encrypt(EXAMPLE.publicKey.subarray(1), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2Encrypt(flip(EXAMPLE.publicKey, 64), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2Encrypt(EXAMPLE.publicKey, 'm' as unknown as Uint8Array, nodeRandom), TypeError);
    assert.throws(
      () => sm2Encrypt(EXAMPLE.publicKey, utf8('m'), () => new Uint8Array(32)),
      (err) => isMifengError(err, 'RandomNotReady'),
    );
  });
});

describe('sm2EncryptToSelf()', () => {
  it('produces the example ciphertext from the private key alone', () => {
    const ct = sm2EncryptToSelf(EXAMPLE.privateKey, EXAMPLE.encryptMessage, fixedRandom(EXAMPLE.k));
    assert.equal(hex(ct), EXAMPLE.c1 + EXAMPLE.c3 + EXAMPLE.c2);
  });

  it('equals sm2Encrypt to the own public key for the same k, on random and edge keys', () => {
    const keys = [unhex(`${'00'.repeat(31)}01`), unhex((N - 2n).toString(16)), EXAMPLE.privateKey];
    for (let i = 0; i < 10; i++) keys.push(sm2GenerateKeyPair(nodeRandom).privateKey);
    for (const privateKey of keys) {
      const k = nodeRandom(32);
      const m = nodeRandom(16);
      const ct = sm2EncryptToSelf(privateKey, m, fixedRandom(k));
      assert.deepEqual(ct, sm2Encrypt(sm2PublicKey(privateKey), m, fixedRandom(k)));
      assert.deepEqual(sm2Decrypt(privateKey, ct), m);
    }
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2EncryptToSelf(new Uint8Array(32), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2EncryptToSelf(unhex(N.toString(16)), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2EncryptToSelf(EXAMPLE.privateKey.subarray(1), utf8('m'), nodeRandom), RangeError);
    assert.throws(() => sm2EncryptToSelf(EXAMPLE.privateKey, new Uint8Array(0), nodeRandom), RangeError);
  });
});

describe('sm2Decrypt()', () => {
  const ct = unhex(EXAMPLE.c1 + EXAMPLE.c3 + EXAMPLE.c2);

  it('opens the example ciphertext (GB/T 32918.5-2017)', () => {
    assert.deepEqual(sm2Decrypt(EXAMPLE.privateKey, ct), EXAMPLE.encryptMessage);
  });

  it('opens a third-party known answer (MH1903S SDK sm2_self_test.c, C1 ‖ C3 ‖ C2 without 04)', () => {
    const d = unhex('C46841E769D7F6A7599046C029900CB6D47BBD54BE83AF50284584BC1E390BF9');
    const std =
      '70342F90FA3213647483B18B6974187F9D16F73CBFBECCF88CF57388C0C663E5CD73A4460987F928ABCD184C0196B55B97E535A45E841BAA62C73B7B81CF31F4' +
      'A4EEE1AF44C46E32977A14BE98C2606BAFFA7A0BA0391A64BC549920357939E8' +
      '64B7FCC88FFC327247A49B36872131A7';
    // Pitfall: libraries write C1 without its 04; we add it at the boundary.
    tampered(() => sm2Decrypt(d, unhex(std)));
    assert.equal(hex(sm2Decrypt(d, unhex(`04${std}`))), '115960c5598a2797c2d02d76d468cdc9');
  });

  it('round-trips random plaintexts', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    for (const len of [1, 16, 31, 32, 33, 64, 100]) {
      const m = nodeRandom(len);
      assert.deepEqual(sm2Decrypt(privateKey, sm2Encrypt(publicKey, m, nodeRandom)), m);
    }
  });

  it('treats any flipped byte, truncation, or the wrong key as tampering', () => {
    for (let i = 0; i < ct.length; i++) tampered(() => sm2Decrypt(EXAMPLE.privateKey, flip(ct, i)));
    tampered(() => sm2Decrypt(EXAMPLE.privateKey, ct.subarray(0, ct.length - 1)));
    tampered(() => sm2Decrypt(EXAMPLE.privateKey, ct.subarray(0, 97)));
    tampered(() => sm2Decrypt(EXAMPLE.privateKey, new Uint8Array(0)));
    tampered(() => sm2Decrypt(sm2GenerateKeyPair(nodeRandom).privateKey, ct));
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm2Decrypt(EXAMPLE.privateKey.subarray(1), ct), RangeError);
    assert.throws(() => sm2Decrypt(new Uint8Array(32), ct), RangeError);
    assert.throws(() => sm2Decrypt(EXAMPLE.privateKey, hex(ct) as unknown as Uint8Array), TypeError);
  });
});

describe('variable-base scalar multiplication (internal, behind encrypt/decrypt/verify)', () => {
  it('agrees with @noble/curves for edge and random scalars and points', () => {
    const Point = noblePoint();
    const random = () => (BigInt(`0x${hex(nodeRandom(32))}`) % (N - 1n)) + 1n;
    const scalars = [
      1n,
      2n,
      3n,
      15n,
      16n,
      17n,
      31n,
      32n,
      33n,
      2n ** 255n,
      N - 1n,
      N - 2n,
      N - 15n,
      N - 16n,
      N - 17n,
    ];
    scalars.push((N - 1n) / 2n, (N + 1n) / 2n);
    for (let i = 0; i < 40; i++) scalars.push(random());
    const points = [Point.BASE, Point.BASE.multiply(random()), Point.BASE.multiply(N - 1n)].map((p) =>
      p.toAffine(),
    );
    for (const k of scalars) {
      for (const p of points) {
        const want = Point.fromAffine(p).multiply(k).toAffine();
        assert.deepEqual(affine(_sm2Multiply(k, p.x, p.y)), [want.x, want.y], `k = ${k.toString(16)}`);
      }
    }
    for (const k of scalars) {
      const want = Point.BASE.multiply(k).toAffine();
      assert.deepEqual(affine(_sm2MultiplyBase(k)), [want.x, want.y], `base, k = ${k.toString(16)}`);
    }
    const comb = _sm2Comb(points[1]!.x, points[1]!.y, 4);
    for (const k of scalars) {
      const want = Point.fromAffine(points[1]!).multiply(k).toAffine();
      assert.deepEqual(affine(_sm2MultiplyComb(k, comb)), [want.x, want.y], `comb, k = ${k.toString(16)}`);
    }
    const rows = _sm2Rows(points[1]!.x, points[1]!.y);
    for (const k of scalars) {
      const want = Point.fromAffine(points[1]!).multiply(k).toAffine();
      assert.deepEqual(affine(_sm2MultiplyRows(k, rows)), [want.x, want.y], `rows, k = ${k.toString(16)}`);
    }
    assert.throws(() => _sm2MultiplyRows(0n, rows), RangeError);
    assert.throws(() => _sm2MultiplyRows(N, rows), RangeError);
    assert.throws(() => _sm2MultiplyBase(0n), RangeError);
    assert.throws(() => _sm2MultiplyBase(N), RangeError);
    assert.throws(() => _sm2Multiply(0n, points[0]!.x, points[0]!.y), RangeError);
    assert.throws(() => _sm2Multiply(N, points[0]!.x, points[0]!.y), RangeError);
    assert.throws(() => _sm2Multiply(2n ** 256n - 1n, points[0]!.x, points[0]!.y), RangeError);
    assert.throws(() => _sm2MultiplyBase(2n ** 256n - 1n), RangeError);
  });

  it('multiplies public keys from their rows from the second use on, telling ±Q apart and evicting old keys', () => {
    const Point = noblePoint();
    const random = () => (BigInt(`0x${hex(nodeRandom(32))}`) % (N - 1n)) + 1n;
    const q = Point.BASE.multiply(random());
    const { x, y } = q.toAffine();
    // The same x with the other y is −Q: it must not be served from Q's rows, nor Q from −Q's.
    const uses: [typeof q, bigint, bigint][] = [
      [q, x, y],
      [q, x, y],
      [q.negate(), x, P - y],
      [q.negate(), x, P - y],
      [q, x, y],
      [q, x, y],
    ];
    for (const [point, px, py] of uses) {
      for (const k of [1n, 2n, N - 1n, N - 2n, random(), random()]) {
        const want = point.multiply(k).toAffine();
        assert.deepEqual(affine(_sm2MultiplyKey(k, px, py)), [want.x, want.y], `k = ${k.toString(16)}`);
      }
    }
    // Prepared −Q serves neither Q nor the other way round; a prepared key's first use is exact.
    const r = Point.BASE.multiply(random());
    const { x: rx, y: ry } = r.toAffine();
    assert.equal(_sm2PrepareKey(rx, P - ry), true);
    for (const [point, px, py] of [
      [r, rx, ry],
      [r.negate(), rx, P - ry],
    ] as const) {
      const k = random();
      const want = point.multiply(k).toAffine();
      assert.deepEqual(affine(_sm2MultiplyKey(k, px, py)), [want.x, want.y]);
    }
    assert.equal(_sm2PrepareKey(rx, ry), true, 'Q, used once, has no rows yet');
    assert.equal(_sm2PrepareKey(rx, ry), false);
    // More keys than the cache holds (two generations of 64), each used twice, then the first
    // again: still exact.
    const many = Array.from({ length: 150 }, () => Point.BASE.multiply(random()));
    for (const point of [...many, ...many, many[0]!]) {
      const k = random();
      const { x: px, y: py } = point.toAffine();
      const want = point.multiply(k).toAffine();
      assert.deepEqual(affine(_sm2MultiplyKey(k, px, py)), [want.x, want.y]);
    }
    assert.throws(() => _sm2MultiplyKey(0n, x, y), RangeError);
    assert.throws(() => _sm2MultiplyKey(N, x, y), RangeError);
  });

  it('adds Jacobian and affine points like @noble/curves, including doubling, negatives and infinity', () => {
    const Point = noblePoint();
    const g = Point.BASE;
    const q = g.multiply(0x1234567890abcdefn);
    const jac = (p: typeof g): _Jacobian => {
      const { x, y } = p.toAffine();
      // A non-trivial Z: (x·z², y·z³, z) for z = 7 is the same point.
      return { X: (x * 49n) % P, Y: (y * 343n) % P, Z: 7n };
    };
    // Coordinates are signed representatives in (−p, p): the same point with every one negative.
    const negative = (p: typeof g): _Jacobian => {
      const { X, Y, Z } = jac(p);
      return { X: X - P, Y: Y - P, Z: Z - P };
    };
    const cases: [typeof g, typeof g][] = [
      [g, q],
      [q, q],
      [q, q.negate()],
      [g, g.negate()],
      [g.multiply(N - 1n), g],
    ];
    for (const [a, b] of cases) {
      const want = a.add(b);
      for (const [ja, jb] of [
        [jac, jac],
        [negative, jac],
        [jac, negative],
      ] as const) {
        const sum = ja(a);
        _sm2Add(sum, jb(b));
        assert.deepEqual(affine(sum), want.is0() ? null : [want.toAffine().x, want.toAffine().y]);
      }
    }
    // Mixed additions where the Jacobian side's coordinates differ from the affine ones by ±p.
    const { x, y } = q.toAffine();
    for (const [X, Y] of [
      [x - P, y],
      [x, y - P],
      [x - P, y - P],
    ]) {
      const doubled: _Jacobian = { X: X!, Y: Y!, Z: 1n };
      _sm2AddAffine(doubled, x, y);
      assert.deepEqual(affine(doubled), [q.double().toAffine().x, q.double().toAffine().y]);
      const cancelled: _Jacobian = { X: X!, Y: Y!, Z: 1n };
      _sm2AddAffine(cancelled, x, P - y);
      assert.equal(cancelled.Z, 0n);
    }
    const infinity: _Jacobian = { X: 0n, Y: 1n, Z: 0n };
    const sum = { ...infinity };
    _sm2Add(sum, jac(q));
    assert.deepEqual(affine(sum), [q.toAffine().x, q.toAffine().y]);
    const same = jac(q);
    _sm2Add(same, infinity);
    assert.deepEqual(affine(same), [q.toAffine().x, q.toAffine().y]);
    assert.deepEqual(_sm2Affine([infinity, jac(g), infinity]), [
      null,
      [g.toAffine().x, g.toAffine().y],
      null,
    ]);
  });
});

describe('field and scalar helpers (internal)', () => {
  it('inverts like @noble/curves modulo p and n, on edge and random values', () => {
    for (const m of [P, N]) {
      const values = [1n, 2n, 3n, m - 1n, m - 2n, m + 1n, 2n ** 255n, 2n ** 256n - 1n, -1n];
      // Around the 48 bits the quotients are guessed from, and random values of every length.
      values.push(2n ** 47n - 1n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 49n + 1n, 2n ** 53n, m - 2n ** 48n);
      for (let i = 0; i < 200; i++) values.push(BigInt(`0x${hex(nodeRandom(32))}`) >> BigInt(i % 256));
      for (const v of values) {
        if (v % m === 0n) continue;
        assert.equal(_invert(v, m), invert(v, m), `${v.toString(16)} mod ${m.toString(16)}`);
      }
      assert.throws(() => _invert(0n, m), RangeError);
      assert.throws(() => _invert(m, m), RangeError);
    }
  });

  it('checks the curve equation like @noble/curves, with x = 0, coordinates ≥ p and random points', () => {
    const Point = noblePoint();
    const valid = (x: bigint, y: bigint) => {
      try {
        Point.fromAffine({ x, y }).assertValidity();
        return true;
      } catch {
        return false;
      }
    };
    const g = Point.BASE.toAffine();
    const candidates: [bigint, bigint][] = [
      [0n, 0n],
      [g.x, g.y],
      [g.x, P - g.y],
      [g.x + P, g.y],
      [g.x, g.y + P],
      [g.x, g.y + 1n],
      [P, 0n],
      [-1n, g.y],
    ];
    // x = 0: y² = b, a point exactly when b is a square mod p (p ≡ 3 mod 4, so y = b^((p+1)/4)).
    let y0 = 1n;
    for (
      let e = (P + 1n) / 4n,
        base = BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93');
      e > 0n;
      e >>= 1n, base = (base * base) % P
    ) {
      if (e & 1n) y0 = (y0 * base) % P;
    }
    candidates.push([0n, y0], [0n, P - y0]);
    for (let i = 0; i < 20; i++) {
      const p = Point.BASE.multiply(BigInt(`0x${hex(nodeRandom(31))}`) + 1n).toAffine();
      candidates.push([p.x, p.y], [p.x, (p.y + 1n) % P]);
    }
    for (const [x, y] of candidates) {
      const inRange = x >= 0n && x < P && y >= 0n && y < P;
      assert.equal(_isOnCurve(x, y), inRange && valid(x, y), `(${x.toString(16)}, ${y.toString(16)})`);
    }
  });
});

/** Affine [x, y] of a Jacobian point, or null for infinity. */
function affine(p: _Jacobian): [bigint, bigint] | null {
  return _sm2Affine([p])[0]!;
}

/** @noble/curves' model of the curve (GB/T 32918.5-2017 §2), the reference in these tests. */
function noblePoint() {
  return weierstrassN({
    p: P,
    a: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC'),
    b: BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93'),
    n: N,
    h: 1n,
    Gx: BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
    Gy: BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
  });
}
