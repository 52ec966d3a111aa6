// SM4-GCM known answer from RFC 8998 Appendix A.1, OpenSSL cross-checks of the counter-mode part
// (Node has sm4-ctr but no sm4-gcm), and the pitfalls of docs/protocol.md §1's choices: the tag is
// always required and checked, IVs are 12 bytes only.
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sm4 as sm4v2 } from 'sm-crypto-v2';
import { sm4GcmDecrypt, sm4GcmEncrypt } from '../../../shared/crypto/index';
import { isMifengError } from '../../../shared/errors';
import { flip, hex, unhex } from './_helpers';

// RFC 8998 Appendix A.1 (SM4-GCM test vector).
const A1 = {
  key: unhex('0123456789ABCDEFFEDCBA9876543210'),
  iv: unhex('00001234567800000000ABCD'),
  aad: unhex('FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2'),
  plaintext: unhex(
    'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD' +
      'EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA',
  ),
  ciphertext:
    '17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735' +
    'd82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d',
  tag: '83de3541e4c2b58177e065a9bf7b62ec',
};

const tampered = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'Tampered'));

/** The GCM keystream for a 12-byte IV is SM4-CTR starting at J0 + 1 = IV ‖ 00000002 (SP 800-38D §7.1). */
function opensslCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): string {
  const counter = new Uint8Array(16);
  counter.set(iv);
  counter[15] = 2;
  const cipher = createCipheriv('sm4-ctr', key, counter);
  return Buffer.concat([cipher.update(data), cipher.final()]).toString('hex');
}

describe('sm4GcmEncrypt()', () => {
  it('produces the RFC 8998 A.1 ciphertext and tag', () => {
    const sealed = sm4GcmEncrypt(A1.key, A1.iv, A1.plaintext, A1.aad);
    assert.equal(hex(sealed), A1.ciphertext + A1.tag);
  });

  it('encrypts with the same keystream as OpenSSL sm4-ctr', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, iv, plaintext) => {
          const sealed = sm4GcmEncrypt(key, iv, plaintext, new Uint8Array(0));
          assert.equal(hex(sealed.subarray(0, plaintext.length)), opensslCtr(key, iv, plaintext));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('agrees with sm-crypto-v2 (ciphertext and tag) on random inputs and partial blocks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 70 }),
        (key, iv, plaintext, aad) => {
          const { output, tag } = sm4v2.encrypt(plaintext, key, {
            mode: 'gcm',
            iv,
            associatedData: aad,
            output: 'array',
            outputTag: true,
          });
          assert.equal(hex(sm4GcmEncrypt(key, iv, plaintext, aad)), hex(output) + hex(tag!));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles empty plaintext and empty AAD (tag only)', () => {
    const sealed = sm4GcmEncrypt(A1.key, A1.iv, new Uint8Array(0), new Uint8Array(0));
    assert.equal(sealed.length, 16);
    assert.equal(sm4GcmDecrypt(A1.key, A1.iv, sealed, new Uint8Array(0)).length, 0);
  });

  it('rejects invalid inputs', () => {
    const { key, iv, plaintext, aad } = A1;
    assert.throws(() => sm4GcmEncrypt(key.subarray(1), iv, plaintext, aad), RangeError);
    assert.throws(() => sm4GcmEncrypt(new Uint8Array(32), iv, plaintext, aad), RangeError);
    // 12-byte IVs only: sm-crypto-v2 would GHASH other lengths into J0, which RFC 8998 does not use.
    assert.throws(() => sm4GcmEncrypt(key, new Uint8Array(16), plaintext, aad), RangeError);
    assert.throws(() => sm4GcmEncrypt(key, new Uint8Array(8), plaintext, aad), RangeError);
    assert.throws(() => sm4GcmEncrypt(key, iv, 'text' as unknown as Uint8Array, aad), TypeError);
    assert.throws(() => sm4GcmEncrypt(key, iv, plaintext, undefined as unknown as Uint8Array), TypeError);
  });
});

describe('sm4GcmDecrypt()', () => {
  it('opens the RFC 8998 A.1 ciphertext', () => {
    const opened = sm4GcmDecrypt(A1.key, A1.iv, unhex(A1.ciphertext + A1.tag), A1.aad);
    assert.deepEqual(opened, A1.plaintext);
  });

  it('round-trips random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 100 }),
        (key, iv, plaintext, aad) => {
          assert.deepEqual(sm4GcmDecrypt(key, iv, sm4GcmEncrypt(key, iv, plaintext, aad), aad), plaintext);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('pitfall: sm-crypto-v2 decrypts WITHOUT authentication when no tag is passed; we never do', () => {
    const forged = flip(unhex(A1.ciphertext), 0);
    // The library hands back plaintext for a forged ciphertext when the tag is simply left out...
    const unchecked = sm4v2.decrypt(forged, A1.key, {
      mode: 'gcm',
      iv: A1.iv,
      associatedData: A1.aad,
      output: 'array',
    });
    assert.equal(unchecked.length, forged.length);
    // ...while our decrypt takes the tag from the input and refuses.
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, forged, A1.aad));
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, unhex(A1.ciphertext), A1.aad));
  });

  it('treats a missing or short tag as tampering', () => {
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, new Uint8Array(0), A1.aad));
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, new Uint8Array(15), A1.aad));
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, unhex(A1.tag).subarray(0, 15), A1.aad));
  });

  it('treats any flipped bit of ciphertext, tag, IV, AAD or key as tampering', () => {
    const sealed = unhex(A1.ciphertext + A1.tag);
    for (let i = 0; i < sealed.length; i++)
      tampered(() => sm4GcmDecrypt(A1.key, A1.iv, flip(sealed, i), A1.aad));
    for (let i = 0; i < A1.iv.length; i++)
      tampered(() => sm4GcmDecrypt(A1.key, flip(A1.iv, i, 0x80), sealed, A1.aad));
    for (let i = 0; i < A1.aad.length; i++)
      tampered(() => sm4GcmDecrypt(A1.key, A1.iv, sealed, flip(A1.aad, i)));
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, sealed, new Uint8Array(0)));
    tampered(() => sm4GcmDecrypt(flip(A1.key, 15), A1.iv, sealed, A1.aad));
    tampered(() => sm4GcmDecrypt(A1.key, A1.iv, sealed.subarray(1), A1.aad));
  });

  it('rejects invalid inputs', () => {
    const sealed = unhex(A1.ciphertext + A1.tag);
    assert.throws(() => sm4GcmDecrypt(A1.key.subarray(2), A1.iv, sealed, A1.aad), RangeError);
    assert.throws(() => sm4GcmDecrypt(A1.key, new Uint8Array(16), sealed, A1.aad), RangeError);
    assert.throws(
      () => sm4GcmDecrypt(A1.key, A1.iv, hex(sealed) as unknown as Uint8Array, A1.aad),
      TypeError,
    );
    assert.throws(() => sm4GcmDecrypt(A1.key, A1.iv, sealed, null as unknown as Uint8Array), TypeError);
  });
});
