// SM3 known answers from GB/T 32905-2016 Appendix A (examples 1 and 2), HMAC-SM3 and PBKDF2-HMAC-SM3
// checked against Node's OpenSSL (no official HMAC-SM3 vectors are published in the standards we cite).
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { sm3 as sm3v2 } from 'sm-crypto-v2';
import { hmacSm3, pbkdf2HmacSm3, sm3 } from '../../../shared/crypto/index';
import { hex, utf8 } from './_helpers';

describe('sm3()', () => {
  it('hashes "abc" (GB/T 32905-2016 A.1)', () => {
    assert.equal(hex(sm3(utf8('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  it('hashes the 512-bit message "abcd" × 16 (GB/T 32905-2016 A.2)', () => {
    assert.equal(
      hex(sm3(utf8('abcd'.repeat(16)))),
      'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
    );
  });

  it('agrees with OpenSSL and sm-crypto-v2 at every length around the padding boundaries', () => {
    for (let len = 0; len <= 200; len++) {
      const data = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len) & 0xff);
      const expected = createHash('sm3').update(data).digest('hex');
      assert.equal(hex(sm3(data)), expected, `length ${len}`);
      assert.equal(sm3v2(data), expected, `sm-crypto-v2, length ${len}`);
    }
  });

  it('does not modify its input and returns a fresh array', () => {
    const data = utf8('abc');
    const a = sm3(data);
    const b = sm3(data);
    assert.notEqual(a, b);
    assert.deepEqual(data, utf8('abc'));
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => sm3('abc' as unknown as Uint8Array), TypeError);
    assert.throws(() => sm3(undefined as unknown as Uint8Array), TypeError);
    assert.throws(() => sm3([1, 2, 3] as unknown as Uint8Array), TypeError);
  });
});

describe('hmacSm3()', () => {
  it('agrees with OpenSSL for keys shorter than, equal to and longer than a block', () => {
    for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 100, 200]) {
      for (const dataLength of [0, 1, 32, 55, 56, 64, 65, 1000]) {
        const key = Uint8Array.from({ length: keyLength }, (_, i) => i + keyLength);
        const data = Uint8Array.from({ length: dataLength }, (_, i) => i * 7);
        assert.equal(
          hex(hmacSm3(key, data)),
          createHmac('sm3', key).update(data).digest('hex'),
          `key ${keyLength}, data ${dataLength}`,
        );
      }
    }
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => hmacSm3('k' as unknown as Uint8Array, utf8('x')), TypeError);
    assert.throws(() => hmacSm3(utf8('k'), null as unknown as Uint8Array), TypeError);
  });
});

describe('pbkdf2HmacSm3()', () => {
  it('agrees with OpenSSL for short and multi-block outputs', () => {
    const cases: [number, number, number, number][] = [
      [0, 0, 1, 32],
      [8, 16, 2, 16],
      [70, 3, 5, 100],
      [64, 64, 1000, 64],
      [12, 16, 3, 33],
      [5, 16, 1, 1],
    ];
    for (const [pl, sl, iterations, length] of cases) {
      const password = Uint8Array.from({ length: pl }, (_, i) => i * 3 + 1);
      const salt = Uint8Array.from({ length: sl }, (_, i) => i * 5);
      assert.equal(
        hex(pbkdf2HmacSm3(password, salt, iterations, length)),
        pbkdf2Sync(password, salt, iterations, length, 'sm3').toString('hex'),
        `${pl}/${sl}/${iterations}/${length}`,
      );
    }
  });

  it('derives the protocol default: 100 000 iterations, 16 bytes (docs/protocol.md §7 key backup)', () => {
    const password = utf8('correct horse battery staple 密钥');
    const salt = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    assert.equal(
      hex(pbkdf2HmacSm3(password, salt, 100_000, 16)),
      pbkdf2Sync(password, salt, 100_000, 16, 'sm3').toString('hex'),
    );
  });

  it('rejects invalid inputs', () => {
    const p = utf8('pw');
    const s = new Uint8Array(16);
    assert.throws(() => pbkdf2HmacSm3('pw' as unknown as Uint8Array, s, 1, 16), TypeError);
    assert.throws(() => pbkdf2HmacSm3(p, 's' as unknown as Uint8Array, 1, 16), TypeError);
    assert.throws(() => pbkdf2HmacSm3(p, s, 0, 16), RangeError);
    assert.throws(() => pbkdf2HmacSm3(p, s, 1.5, 16), TypeError);
    assert.throws(() => pbkdf2HmacSm3(p, s, Number.NaN, 16), TypeError);
    assert.throws(() => pbkdf2HmacSm3(p, s, 1, 0), RangeError);
    assert.throws(() => pbkdf2HmacSm3(p, s, 1, '16' as unknown as number), TypeError);
  });
});
