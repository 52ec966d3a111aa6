// The injected randomness of shared/crypto (WeChat has no `crypto` global): no
// source means RandomNotReady, the WeChat pool refuses before it is filled, and bytes are never reused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createRandomPool,
  type RandomSource,
  randomBytes,
  setRandomSource,
  sm2Decrypt,
  sm2Encrypt,
  sm2GenerateKeyPair,
  sm2Sign,
  sm2Verify,
  sm3,
  sm4GcmDecrypt,
  sm4GcmEncrypt,
} from '../../../shared/crypto/index';
import { isMifengError } from '../../../shared/errors';
import { nodeRandom } from './_helpers';

const notReady = (fn: () => unknown) => assert.throws(fn, (err) => isMifengError(err, 'RandomNotReady'));

/** A `wx.getRandomValues` double: asynchronous, counting its calls, never repeating bytes. */
function wxDouble() {
  let calls = 0;
  const fill = async (length: number) => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    return nodeRandom(length);
  };
  return { fill, calls: () => calls };
}

describe('randomBytes()', () => {
  it('throws RandomNotReady when no source is installed or given', () => {
    setRandomSource(null);
    notReady(() => randomBytes(16));
    // Nothing that needs randomness falls back to anything else.
    notReady(() => sm2GenerateKeyPair());
    const { privateKey, publicKey } = sm2GenerateKeyPair(nodeRandom);
    notReady(() => sm2Sign(privateKey, new Uint8Array(1)));
    notReady(() => sm2Encrypt(publicKey, new Uint8Array(16)));
  });

  it('uses the installed source, and an explicit one over it', () => {
    const calls: string[] = [];
    setRandomSource((n) => {
      calls.push('default');
      return nodeRandom(n);
    });
    try {
      assert.equal(randomBytes(16).length, 16);
      randomBytes(8, (n) => {
        calls.push('explicit');
        return new Uint8Array(n);
      });
      assert.deepEqual(calls, ['default', 'explicit']);
    } finally {
      setRandomSource(null);
    }
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => randomBytes(-1, nodeRandom), RangeError);
    assert.throws(() => randomBytes(1.5, nodeRandom), TypeError);
    assert.throws(() => randomBytes(16, 'x' as unknown as RandomSource), TypeError);
    assert.throws(() => randomBytes(16, () => new Uint8Array(15)), TypeError);
    assert.throws(() => randomBytes(16, (() => [1, 2]) as unknown as RandomSource), TypeError);
    assert.throws(() => setRandomSource(42 as unknown as RandomSource), TypeError);
  });
});

describe('no hidden randomness', () => {
  it('draws nothing from the platform RNG that sm-crypto-v2 and noble would fall back on', () => {
    // A deterministic source of our own (SM3 in counter mode), then the platform RNG made to throw.
    let counter = 0;
    const ours: RandomSource = (length) => {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 32)
        out.set(sm3(Uint8Array.of(counter++ & 0xff, counter >> 8)).subarray(0, length - i), i);
      return out;
    };
    const original = globalThis.crypto.getRandomValues;
    globalThis.crypto.getRandomValues = () => {
      throw new Error('platform RNG used');
    };
    try {
      const { privateKey, publicKey } = sm2GenerateKeyPair(ours);
      const message = sm3(new Uint8Array(1));
      assert.ok(sm2Verify(publicKey, message, sm2Sign(privateKey, message, ours)));
      const dek = randomBytes(16, ours);
      assert.deepEqual(sm2Decrypt(privateKey, sm2Encrypt(publicKey, dek, ours)), dek);
      const iv = randomBytes(12, ours);
      assert.deepEqual(sm4GcmDecrypt(dek, iv, sm4GcmEncrypt(dek, iv, message, dek), dek), message);
    } finally {
      globalThis.crypto.getRandomValues = original;
    }
  });
});

describe('createRandomPool()', () => {
  it('refuses before fill(), serves after, and never hands out the same bytes twice', async () => {
    const pool = createRandomPool({ size: 1024 });
    assert.equal(pool.ready(), false);
    notReady(() => pool.source(16));
    notReady(() => sm2GenerateKeyPair(pool.source));
    const wx = wxDouble();
    await pool.fill(wx.fill);
    assert.equal(pool.ready(), true);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const chunk = pool.source(16);
      const key = Buffer.from(chunk).toString('hex');
      assert.ok(!seen.has(key));
      seen.add(key);
    }
    const { privateKey } = sm2GenerateKeyPair(pool.source);
    assert.equal(privateKey.length, 32);
  });

  it('throws RandomNotReady when drained, then refills in the background', async () => {
    const pool = createRandomPool({ size: 64 });
    const wx = wxDouble();
    await pool.fill(wx.fill);
    pool.source(40); // below half: a refill starts
    notReady(() => pool.source(64));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(wx.calls() >= 2);
    assert.equal(pool.source(64).length, 64);
  });

  it('installs as the default source, as the mini program does at launch', async () => {
    const pool = createRandomPool();
    setRandomSource(pool.source);
    try {
      notReady(() => randomBytes(16));
      await pool.fill(wxDouble().fill);
      assert.equal(randomBytes(16).length, 16);
      assert.equal(sm2GenerateKeyPair().publicKey.length, 65);
    } finally {
      setRandomSource(null);
    }
  });

  it('rejects invalid inputs', async () => {
    assert.throws(() => createRandomPool({ size: 10 }), RangeError);
    assert.throws(() => createRandomPool({ size: 1 << 20 }), RangeError);
    assert.throws(() => createRandomPool({ size: 'big' as unknown as number }), TypeError);
    const pool = createRandomPool({ size: 64 });
    await assert.rejects(
      pool.fill(async () => new Uint8Array(10)),
      TypeError,
    );
    await assert.rejects(pool.fill('wx' as never), TypeError);
    await assert.rejects(
      pool.fill(async () => {
        throw new Error('getRandomValues:fail');
      }),
      /getRandomValues:fail/,
    );
    assert.equal(pool.ready(), false);
    assert.throws(() => pool.source(-1), RangeError);
  });
});
