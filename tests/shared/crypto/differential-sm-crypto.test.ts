// Differential tests against sm-crypto 0.5.8, our reference oracle, and sm-crypto-v2:
// each verifies and decrypts what we produce, and we verify and decrypt what each produces.
// sm-crypto writes C1 without its 04 (cipherMode 1 = C1 ‖ C3 ‖ C2) and signs with {hash, der, userId}.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import smCrypto from 'sm-crypto';
import { sm3 as sm3v2, sm2 as v2 } from 'sm-crypto-v2';
import {
  SM2_USER_ID,
  sm2Decrypt,
  sm2Encrypt,
  sm2GenerateKeyPair,
  sm2Sign,
  sm2Verify,
  sm3,
} from '../../../shared/crypto/index';
import { hex, nodeRandom, unhex } from './_helpers';

const OPTIONS = { hash: true, der: true, userId: SM2_USER_ID };
const RUNS = { numRuns: 25 };
const keys = Array.from({ length: 3 }, () => sm2GenerateKeyPair(nodeRandom));
const keyArb = fc.constantFrom(...keys);
const messageArb = fc.uint8Array({ maxLength: 300 });

describe('sm2Sign() / sm2Verify() against sm-crypto', () => {
  it('sm-crypto and sm-crypto-v2 verify our signatures', () => {
    fc.assert(
      fc.property(keyArb, messageArb, ({ privateKey, publicKey }, message) => {
        const sig = hex(sm2Sign(privateKey, message, nodeRandom));
        assert.equal(smCrypto.sm2.doVerifySignature(Array.from(message), sig, hex(publicKey), OPTIONS), true);
        assert.equal(v2.doVerifySignature(message, sig, hex(publicKey), OPTIONS), true);
      }),
      RUNS,
    );
  });

  it('we verify signatures made by sm-crypto and sm-crypto-v2', () => {
    fc.assert(
      fc.property(keyArb, messageArb, ({ privateKey, publicKey }, message) => {
        const a = smCrypto.sm2.doSignature(Array.from(message), hex(privateKey), {
          ...OPTIONS,
          publicKey: hex(publicKey),
        });
        const b = v2.doSignature(message, hex(privateKey), { ...OPTIONS, publicKey: hex(publicKey) });
        assert.equal(sm2Verify(publicKey, message, unhex(a)), true);
        assert.equal(sm2Verify(publicKey, message, unhex(b)), true);
      }),
      RUNS,
    );
  });
});

describe('sm2Encrypt() / sm2Decrypt() against sm-crypto', () => {
  it('sm-crypto and sm-crypto-v2 decrypt our ciphertexts once the 04 of C1 is stripped', () => {
    fc.assert(
      fc.property(keyArb, fc.uint8Array({ minLength: 1, maxLength: 200 }), ({ privateKey, publicKey }, m) => {
        const ct = hex(sm2Encrypt(publicKey, m, nodeRandom));
        assert.ok(ct.startsWith('04'));
        const a = smCrypto.sm2.doDecrypt(ct.slice(2), hex(privateKey), 1, { output: 'array' });
        const b = v2.doDecrypt(ct.slice(2), hex(privateKey), 1, { output: 'array' });
        assert.equal(hex(Uint8Array.from(a)), hex(m));
        assert.equal(hex(b), hex(m));
      }),
      RUNS,
    );
  });

  it('we decrypt what sm-crypto and sm-crypto-v2 encrypt, once 04 is added to C1', () => {
    fc.assert(
      fc.property(keyArb, fc.uint8Array({ minLength: 1, maxLength: 200 }), ({ privateKey, publicKey }, m) => {
        const a = smCrypto.sm2.doEncrypt(Array.from(m), hex(publicKey), 1);
        const b = v2.doEncrypt(m, hex(publicKey), 1);
        assert.deepEqual(sm2Decrypt(privateKey, unhex(`04${a}`)), m);
        assert.deepEqual(sm2Decrypt(privateKey, unhex(`04${b}`)), m);
      }),
      RUNS,
    );
  });
});

describe('sm3() against sm-crypto', () => {
  it('agrees on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (data) => {
        assert.equal(hex(sm3(data)), smCrypto.sm3(Array.from(data)));
        assert.equal(hex(sm3(data)), sm3v2(data));
      }),
      { numRuns: 200 },
    );
  });
});
