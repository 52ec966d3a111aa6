// Differential tests against OpenSSL: the `openssl` CLI verifies our SM2 signatures and signs for us
// to verify (docs/protocol.md §1: `pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678`), and
// Node's OpenSSL-backed sm3, HMAC-SM3, PBKDF2-SM3, HKDF-SM3 and sm4-ecb agree with ours on random inputs
// (HKDF-SM3 also against `openssl kdf … HKDF`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash, createHmac, hkdfSync, pbkdf2Sync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  hkdfSm3,
  hmacSm3,
  pbkdf2HmacSm3,
  SM2_USER_ID,
  sm2GenerateKeyPair,
  sm2Sign,
  sm2Verify,
  sm3,
} from '../../../shared/crypto/index';
import { _sm4EncryptBlock } from '../../../shared/crypto/sm4';
import { hex, nodeRandom, utf8 } from './_helpers';
import { opensslDir as dir, openssl, opensslVerifies, SPKI_PREFIX } from './_openssl';

describe('sm2Sign() / sm2Verify() against the openssl CLI', () => {
  it('openssl verifies our signatures, and refuses a flipped one', () => {
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    for (const message of [new Uint8Array(0), utf8('密封 secret letter'), nodeRandom(1000)]) {
      const sig = sm2Sign(privateKey, message, nodeRandom);
      assert.equal(opensslVerifies(publicKey, message, sig), true);
    }
    const message = utf8('tamper');
    const sig = sm2Sign(privateKey, message, nodeRandom);
    sig[sig.length - 1]! ^= 1;
    assert.equal(opensslVerifies(publicKey, message, sig), false);
  });

  it('we verify signatures made by openssl with an SM2 key it generated', () => {
    const key = join(dir, 'key.pem');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', key]);
    const spki = execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER']);
    assert.equal(spki.subarray(0, 26).toString('hex'), SPKI_PREFIX);
    const publicKey = Uint8Array.from(spki.subarray(26));
    for (const message of [utf8('hello'), nodeRandom(300)]) {
      writeFileSync(join(dir, 'msg'), message);
      openssl([
        'pkeyutl',
        '-sign',
        '-inkey',
        key,
        '-rawin',
        '-in',
        join(dir, 'msg'),
        '-out',
        join(dir, 'sig'),
        '-digest',
        'sm3',
        '-pkeyopt',
        `distid:${SM2_USER_ID}`,
      ]);
      const sig = Uint8Array.from(readFileSync(join(dir, 'sig')));
      assert.equal(sm2Verify(publicKey, message, sig), true);
      assert.equal(sm2Verify(publicKey, utf8('other'), sig), false);
    }
  });
});

describe('SM3, HMAC-SM3, PBKDF2-HMAC-SM3, HKDF-SM3 and SM4 against Node (OpenSSL)', () => {
  it('sm3() agrees with createHash("sm3")', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        assert.equal(hex(sm3(data)), createHash('sm3').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('hmacSm3() agrees with createHmac("sm3")', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 500 }), (key, data) => {
        assert.equal(hex(hmacSm3(key, data)), createHmac('sm3', key).update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('pbkdf2HmacSm3() agrees with pbkdf2Sync(…, "sm3")', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 100 }),
        (password, salt, iterations, length) => {
          assert.equal(
            hex(pbkdf2HmacSm3(password, salt, iterations, length)),
            pbkdf2Sync(password, salt, iterations, length, 'sm3').toString('hex'),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hkdfSm3() agrees with hkdfSync("sm3") (RFC 5869), up to 255 × 32 bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 1, max: 255 * 32 }),
        (ikm, salt, info, length) => {
          assert.equal(
            hex(hkdfSm3(ikm, salt, info, length)),
            Buffer.from(hkdfSync('sm3', ikm, salt, info, length)).toString('hex'),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("hkdfSm3() agrees with `openssl kdf … HKDF` with the contact book's label", () => {
    const ikm = nodeRandom(32);
    const out = openssl([
      'kdf',
      '-keylen',
      '16',
      '-kdfopt',
      'digest:SM3',
      '-kdfopt',
      `hexkey:${hex(ikm)}`,
      '-kdfopt',
      'salt:mifeng contacts v1',
      '-kdfopt',
      'info:alice',
      'HKDF',
    ]);
    assert.equal(
      out.trim().replaceAll(':', '').toLowerCase(),
      hex(hkdfSm3(ikm, utf8('mifeng contacts v1'), utf8('alice'), 16)),
    );
  });

  it('hkdfSm3() rejects invalid inputs', () => {
    assert.throws(() => hkdfSm3('x' as never, utf8(''), utf8(''), 16), TypeError);
    assert.throws(() => hkdfSm3(utf8('k'), utf8(''), utf8(''), 0), RangeError);
    assert.throws(() => hkdfSm3(utf8('k'), utf8(''), utf8(''), 255 * 32 + 1), RangeError);
  });

  it('SM4 block encryption agrees with createCipheriv("sm4-ecb")', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (k, b) => {
          const cipher = createCipheriv('sm4-ecb', k, null).setAutoPadding(false);
          assert.equal(hex(_sm4EncryptBlock(k, b)), cipher.update(b).toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });
});
